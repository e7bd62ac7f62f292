# Two images from one file, consistent with the Makefile:
#   docker build --target rasa -t hotich-rasa .   # Rasa 3.6.21 on Python 3.10, model trained at build time
#   docker build --target app  -t hotich-app  .   # gateway (web chat + Telegram) and actions server, Python 3.11
# docker-compose.yml wires them to PostgreSQL.

# ---------- Rasa: NLU + dialogue ----------
FROM python:3.10-slim AS rasa
# PYTHONPATH: the custom NLU components (rasa_components/) import hotich.text from /app.
ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1 PYTHONPATH=/app
WORKDIR /app
RUN pip install "uv" && uv pip install --system "rasa==3.6.21" "psycopg2-binary>=2.9,<3"
# Only what the model is made of (see hotich/ops/model_cache.py MODEL_INPUTS).
COPY pyproject.toml README.md ./
COPY hotich/__init__.py hotich/procedures.py hotich/
COPY hotich/text hotich/text
COPY rasa_components rasa_components
COPY rasa_runtime rasa_runtime
COPY config.yml domain.yml endpoints.yml endpoints.postgres.yml endpoints.lock.yml credentials.yml ./
# Replicas (docker-compose.yml): tracker store in PostgreSQL + the shared Redis lock store.
RUN cat endpoints.postgres.yml endpoints.lock.yml > endpoints.replicas.yml
COPY nlu_data nlu_data
RUN rasa train --config config.yml --domain domain.yml --data nlu_data --out models --fixed-model-name hotich
EXPOSE 5005
# Inside its container Rasa listens on every interface of the compose network that is internal
# (docker-compose.yml); rasa_runtime refuses to start without RASA_TOKEN and passes it to Rasa.
ENV RASA_ENDPOINTS=endpoints.postgres.yml RASA_HOST=0.0.0.0
CMD ["sh", "-c", "python -m rasa_runtime run --enable-api --model models/hotich.tar.gz --port 5005 --interface ${RASA_HOST} --endpoints ${RASA_ENDPOINTS} --credentials credentials.yml"]

# ---------- App: gateway + actions server + hotich CLI ----------
FROM python:3.11-slim AS app
ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1
WORKDIR /app
RUN pip install "uv"
COPY pyproject.toml README.md ./
COPY hotich hotich
COPY bot bot
COPY actions actions
COPY rasa_components rasa_components
RUN uv pip install --system -e .
COPY data data
RUN useradd --create-home --uid 1000 hotich && mkdir -p /app/var/uploads && chown -R hotich /app/var
USER hotich
EXPOSE 8080 5055
# Default: the gateway. The actions server runs from the same image (see docker-compose.yml).
CMD ["sh", "-c", "hotich db upgrade && python -m bot"]
