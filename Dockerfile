# The production image: the runtime lock only (no test, bench or lint tooling), every
# package checked against its hash. .dockerignore keeps the developer's files out.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY requirements/runtime.lock requirements/runtime.lock
RUN pip install --require-hashes -r requirements/runtime.lock
COPY . .
# Build-time values only, to import the settings; the running container gets its own from .env.
RUN SECRET_KEY=collectstatic-only EMAIL_DISABLED=1 TWO_FACTOR_KEYS=Y29sbGVjdHN0YXRpYy1vbmx5LW5vdC1hLXJlYWwta3k= DEBUG=0 \
    python manage.py collectstatic --noinput
# The app runs as its own user, which cannot rewrite the code: /app stays root's.
RUN useradd --create-home msgut
USER msgut
EXPOSE 8000
# Workers, threads and timeouts: gunicorn.conf.py (read from /app), the settings the load test measures.
CMD ["gunicorn", "msgut.wsgi:application", "--bind", "0.0.0.0:8000"]
