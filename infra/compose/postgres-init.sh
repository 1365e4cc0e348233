#!/bin/sh
# Runs once, when the compose PostgreSQL starts on an empty volume (docker-entrypoint-initdb.d). Creates the two roles
# Strata uses, neither a superuser: `strata` owns the catalog and the gold tables (collectors, bronze, jobs, loads),
# `strata_api` only reads them (the API's connections). Passwords come from .env (see .env.example).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v strata_password="$STRATA_DB_PASSWORD" -v api_password="$STRATA_API_DB_PASSWORD" <<'SQL'
create role strata login password :'strata_password';
create role strata_api login password :'api_password';
grant connect, create on database strata to strata;
grant connect on database strata to strata_api;
create schema strata_catalog authorization strata;
create schema gold authorization strata;
grant usage on schema strata_catalog, gold to strata_api;
alter default privileges for role strata in schema strata_catalog grant select on tables to strata_api;
alter default privileges for role strata in schema gold grant select on tables to strata_api;
SQL
