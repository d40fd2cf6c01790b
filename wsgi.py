"""WSGI entry point: gunicorn 'wsgi:app' or waitress-serve wsgi:app."""

from pmfield import create_app

app = create_app()
