"""Documents people print or keep: QR codes (zxing-cpp) and PDFs (fpdf2 with HarfBuzz shaping) of tickets, badges and
certificates. Pure rendering: data in, bytes out; no database, no settings. Fonts come from Python packages the
project installs (fonts.py), never from the internet or the system.

Below mail (the confirmation email carries the QR code) and above domain.
"""
