# Image for docker-compose.yml (web, worker, beat). The commands are the Makefile's.
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends make libpango-1.0-0 libpangoft2-1.0-0 \
      libharfbuzz-subset0 fonts-dejavu-core postgresql-client \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /srv/app
COPY requirements.txt Makefile ./
RUN make venv PYTHON=python3
COPY . .
RUN DJANGO_ENV=production DJANGO_SECRET_KEY=build-only NPP_VAR_DIR=/tmp/var \
    .venv/bin/python manage.py collectstatic --noinput \
 && DJANGO_SECRET_KEY=build-only NPP_VAR_DIR=/tmp/var .venv/bin/python manage.py compile_translations
