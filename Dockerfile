# howtovote in a container: a wheel built in one stage, installed in a slim runtime.
#   docker compose up -d                      run the bot (DISCORD_TOKEN in .env)
#   docker compose run --rm bot ask Batley    answer in the terminal
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot bot
COPY cogs cogs
COPY bench bench
COPY data/*.csv data/
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 howtovote \
    && mkdir /data && chown howtovote /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
# the databases (elections.db rebuilt on first start, guilds.db: back it up) live here
ENV HOWTOVOTE_DB_DIR=/data PYTHONUNBUFFERED=1
VOLUME /data
USER howtovote
WORKDIR /home/howtovote
# fails when the gateway is down (no fresh heartbeat) or the election data is missing
HEALTHCHECK --interval=60s --timeout=10s --start-period=180s --retries=3 \
    CMD ["howtovote", "health"]
ENTRYPOINT ["howtovote"]
CMD ["run"]
