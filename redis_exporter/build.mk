# redis_exporter: a drop-in for oliver006/redis_exporter on hiredis, GnuTLS for rediss://.
redis_exporter_PKGS := hiredis gnutls
