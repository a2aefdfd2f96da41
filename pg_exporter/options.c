/*
 * Option values shared by pg_exporter's files. They are written while
 * flags are parsed and pg_setup() runs, before the server starts, and only
 * read afterwards. The defaults here are upstream's, for unit tests that
 * run without flag parsing.
 */
#include "pg.h"

bool pg_disable_default_metrics;
bool pg_auto_discover;
const char *pg_metric_prefix = "pg";
double pg_collection_timeout = 60;
struct namelist pg_exclude_databases;
struct namelist pg_include_databases;
struct namelist pg_const_label_names;
struct namelist pg_const_label_values;
struct pgconfig pg_config;
bool pg_config_ok;
double pg_config_loaded_at;
