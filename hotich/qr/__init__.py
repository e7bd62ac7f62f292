"""QR codes for the village boards: which codes exist (codes), how they are drawn (matrix,
images, poster), the files the commune prints and checks (generate, index), and how often
each board is scanned (stats, chart). `hotich qr` / `hotich stats` live in hotich.qr.cli.
"""
