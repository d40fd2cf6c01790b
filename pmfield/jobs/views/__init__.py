"""Jobs views, one module per audience: the desk and the engineering supervisor (desk), the
technician's phone (work), callbacks (callbacks), maintenance plans and the catalogue
(maintenance), the printable job sheet (sheet)."""
