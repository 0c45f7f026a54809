# One image for every service of the suite; docker-compose.yml picks the service per container.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY config/ config/
COPY services/ services/
COPY gateway/ gateway/
COPY miniprogram_api/ miniprogram_api/
COPY tools/__init__.py tools/healthcheck.py tools/seed_demo.py tools/

RUN useradd --system --uid 10001 app
USER app

# e.g. command: ["services.certificate.service:CertificateService"]
ENTRYPOINT ["python", "-m", "nameko", "run", "--config", "config/nameko.yml"]
