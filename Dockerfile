# Receipts: the same set-up as `make setup`, in an image. Point RECEIPTS_MONGODB_URI at MongoDB
# (see compose.yaml); without it the embedded nx-27017 keeps its files under /data.
FROM python:3.11-slim-bookworm

ENV DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1 \
    RECEIPTS_DATA_DIR=/data RECEIPTS_BROWSER_PATH=/usr/bin/chromium \
    RECEIPTS_API_HOST=0.0.0.0 RECEIPTS_API_PORT=8600
RUN apt-get update && apt-get install -y --no-install-recommends chromium fonts-liberation fonts-noto-color-emoji make \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md scrapy.cfg ./
COPY receipts ./receipts
COPY crawlers ./crawlers
COPY pipelines ./pipelines
COPY scheduler ./scheduler
RUN pip install --no-cache-dir .

VOLUME ["/data"]
EXPOSE 8600
ENTRYPOINT ["receipts"]
CMD ["serve"]
