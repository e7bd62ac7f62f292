"""Officers of the commune who use the web desk: accounts, sign-in sessions, audit."""
