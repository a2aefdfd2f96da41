# redis_exporter: a drop-in for oliver006/redis_exporter on hiredis.
redis_exporter_PKGS := hiredis

