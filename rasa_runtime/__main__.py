"""`python -m rasa_runtime run …` = `rasa run …` with the HTTP API token taken from RASA_TOKEN,
the actions server's replies validated with a precompiled schema (rasa_runtime.validation) and
the SQLite tracker store in WAL mode (rasa_runtime.sqlite_tuning).

Rasa only accepts the token as `--auth-token`; passed on the command line it would be readable
by every local user in /proc/<pid>/cmdline. Appended here, it lives in this process only.
"""
import os
import sys

from rasa.__main__ import main

from rasa_runtime import sqlite_tuning, validation

if __name__ == "__main__":
    token = os.environ.get("RASA_TOKEN", "")
    if not token:
        sys.exit("RASA_TOKEN is not set: Rasa's HTTP API would be open to anyone who can reach it")
    sys.argv.append(f"--auth-token={token}")   # one argument: a token may start with "-"
    validation.install()
    sqlite_tuning.install()
    main()
