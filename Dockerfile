# Image of the planning API and its Celery workers (one image, two commands).
#   docker build -t stadtwerk-energy .
# The source stays in /app (editable install) so the shipped data/ folder is found.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY energy ./energy
COPY api ./api
COPY data ./data
RUN pip install -e . \
    && useradd --create-home --uid 10001 energy \
    && chown -R energy /app
USER energy

EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=5s --retries=6 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"
CMD ["python", "-m", "api.cli", "serve", "--host", "0.0.0.0", "--port", "8000"]
