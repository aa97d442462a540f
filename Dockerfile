FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
RUN SECRET_KEY=collectstatic-only DEBUG=0 python manage.py collectstatic --noinput
RUN useradd --create-home msgut && chown -R msgut /app
USER msgut
EXPOSE 8000
CMD ["gunicorn", "msgut.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "30"]
