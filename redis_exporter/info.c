/* INFO and CLUSTER INFO replies to metric families (see info.h). */
#include "info.h"

#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/parse.h"

struct info_map {
	const char *field;
	const char *metric;
	enum metric_type type;
};

/* INFO field -> metric name and type, sorted by field for bsearch. */
static const struct info_map info_maps[] = {
	{ "acl_access_denied_auth", "acl_access_denied_auth_total", METRIC_COUNTER },
	{ "acl_access_denied_channel", "acl_access_denied_channel_total", METRIC_COUNTER },
	{ "acl_access_denied_cmd", "acl_access_denied_cmd_total", METRIC_COUNTER },
	{ "acl_access_denied_key", "acl_access_denied_key_total", METRIC_COUNTER },
	{ "active_defrag_hits", "defrag_hits", METRIC_GAUGE },
	{ "active_defrag_key_hits", "defrag_key_hits", METRIC_GAUGE },
	{ "active_defrag_key_misses", "defrag_key_misses", METRIC_GAUGE },
	{ "active_defrag_misses", "defrag_misses", METRIC_GAUGE },
	{ "active_defrag_running", "active_defrag_running", METRIC_GAUGE },
	{ "allocator_active", "allocator_active_bytes", METRIC_GAUGE },
	{ "allocator_allocated", "allocator_allocated_bytes", METRIC_GAUGE },
	{ "allocator_frag_bytes", "allocator_frag_bytes", METRIC_GAUGE },
	{ "allocator_frag_ratio", "allocator_frag_ratio", METRIC_GAUGE },
	{ "allocator_muzzy", "allocator_muzzy_bytes", METRIC_GAUGE },
	{ "allocator_resident", "allocator_resident_bytes", METRIC_GAUGE },
	{ "allocator_rss_bytes", "allocator_rss_bytes", METRIC_GAUGE },
	{ "allocator_rss_ratio", "allocator_rss_ratio", METRIC_GAUGE },
	{ "aof_base_size", "aof_base_size_bytes", METRIC_GAUGE },
	{ "aof_buffer_length", "aof_buffer_length", METRIC_GAUGE },
	{ "aof_current_rewrite_time_sec", "aof_current_rewrite_duration_sec", METRIC_GAUGE },
	{ "aof_current_size", "aof_current_size_bytes", METRIC_GAUGE },
	{ "aof_delayed_fsync", "aof_delayed_fsync", METRIC_GAUGE },
	{ "aof_enabled", "aof_enabled", METRIC_GAUGE },
	{ "aof_last_bgrewrite_status", "aof_last_bgrewrite_status", METRIC_GAUGE },
	{ "aof_last_cow_size", "aof_last_cow_size_bytes", METRIC_GAUGE },
	{ "aof_last_rewrite_time_sec", "aof_last_rewrite_duration_sec", METRIC_GAUGE },
	{ "aof_last_write_status", "aof_last_write_status", METRIC_GAUGE },
	{ "aof_pending_bio_fsync", "aof_pending_bio_fsync", METRIC_GAUGE },
	{ "aof_pending_rewrite", "aof_pending_rewrite", METRIC_GAUGE },
	{ "aof_rewrite_buffer_length", "aof_rewrite_buffer_length", METRIC_GAUGE },
	{ "aof_rewrite_in_progress", "aof_rewrite_in_progress", METRIC_GAUGE },
	{ "aof_rewrite_scheduled", "aof_rewrite_scheduled", METRIC_GAUGE },
	{ "async_loading", "async_loading", METRIC_GAUGE },
	{ "bf_bloom_capacity_across_objects", "bf_bloom_capacity_across_objects", METRIC_GAUGE },
	{ "bf_bloom_defrag_hits", "bf_bloom_defrag_hits_total", METRIC_COUNTER },
	{ "bf_bloom_defrag_misses", "bf_bloom_defrag_misses_total", METRIC_COUNTER },
	{ "bf_bloom_num_filters_across_objects", "bf_bloom_num_filters_across_objects", METRIC_GAUGE },
	{ "bf_bloom_num_items_across_objects", "bf_bloom_num_items_across_objects", METRIC_GAUGE },
	{ "bf_bloom_num_objects", "bf_bloom_num_objects", METRIC_GAUGE },
	{ "bf_bloom_total_memory_bytes", "bf_bloom_total_memory_bytes", METRIC_GAUGE },
	{ "blocked_clients", "blocked_clients", METRIC_GAUGE },
	{ "cached_keys", "cached_keys_total", METRIC_COUNTER },
	{ "client_biggest_input_buf", "client_biggest_input_buf", METRIC_GAUGE },
	{ "client_longest_output_list", "client_longest_output_list", METRIC_GAUGE },
	{ "client_output_buffer_limit_disconnections", "client_output_buffer_limit_disconnections_total", METRIC_COUNTER },
	{ "client_query_buffer_limit_disconnections", "client_query_buffer_limit_disconnections_total", METRIC_COUNTER },
	{ "client_recent_max_input_buffer", "client_recent_max_input_buffer_bytes", METRIC_GAUGE },
	{ "client_recent_max_output_buffer", "client_recent_max_output_buffer_bytes", METRIC_GAUGE },
	{ "clients_in_timeout_table", "clients_in_timeout_table", METRIC_GAUGE },
	{ "cluster_stats_messages_received", "cluster_messages_received_total", METRIC_GAUGE },
	{ "cluster_stats_messages_sent", "cluster_messages_sent_total", METRIC_GAUGE },
	{ "connected_clients", "connected_clients", METRIC_GAUGE },
	{ "connected_slaves", "connected_slaves", METRIC_GAUGE },
	{ "current_client_thread", "current_client_thread", METRIC_GAUGE },
	{ "current_eviction_exceeded_time", "current_eviction_exceeded_time_ms", METRIC_GAUGE },
	{ "dump_payload_sanitizations", "dump_payload_sanitizations", METRIC_COUNTER },
	{ "eventloop_cycles", "eventloop_cycles_total", METRIC_COUNTER },
	{ "eventloop_duration_cmd_sum", "eventloop_duration_cmd_sum_usec_total", METRIC_COUNTER },
	{ "eventloop_duration_sum", "eventloop_duration_sum_usec_total", METRIC_COUNTER },
	{ "evicted_clients", "evicted_clients_total", METRIC_COUNTER },
	{ "evicted_keys", "evicted_keys_total", METRIC_COUNTER },
	{ "evicted_scripts", "evicted_scripts_total", METRIC_COUNTER },
	{ "expire_cycle_cpu_milliseconds", "expire_cycle_cpu_time_ms_total", METRIC_COUNTER },
	{ "expired_keys", "expired_keys_total", METRIC_COUNTER },
	{ "expired_stale_perc", "expired_stale_percentage", METRIC_GAUGE },
	{ "expired_subkeys", "expired_subkeys_total", METRIC_COUNTER },
	{ "expired_time_cap_reached_count", "expired_time_cap_reached_total", METRIC_COUNTER },
	{ "instantaneous_eventloop_cycles_per_sec", "instantaneous_eventloop_cycles_per_sec", METRIC_GAUGE },
	{ "instantaneous_eventloop_duration_usec", "instantaneous_eventloop_duration_usec", METRIC_GAUGE },
	{ "io_threaded_reads_processed", "io_threaded_reads_processed", METRIC_COUNTER },
	{ "io_threaded_writes_processed", "io_threaded_writes_processed", METRIC_COUNTER },
	{ "io_threads_active", "io_threads_active", METRIC_GAUGE },
	{ "json_num_documents", "json_num_documents", METRIC_GAUGE },
	{ "json_total_memory_bytes", "json_total_memory_bytes", METRIC_GAUGE },
	{ "keyspace_hits", "keyspace_hits_total", METRIC_COUNTER },
	{ "keyspace_misses", "keyspace_misses_total", METRIC_COUNTER },
	{ "latest_fork_usec", "latest_fork_usec", METRIC_GAUGE },
	{ "lazyfree_pending_objects", "lazyfree_pending_objects", METRIC_GAUGE },
	{ "lazyfreed_objects", "lazyfreed_objects", METRIC_GAUGE },
	{ "loading", "loading_dump_file", METRIC_GAUGE },
	{ "long_lock_waits", "long_lock_waits_total", METRIC_GAUGE },
	{ "master_repl_offset", "master_repl_offset", METRIC_GAUGE },
	{ "maxclients", "max_clients", METRIC_GAUGE },
	{ "maxfragmentationmemory_desired_reservation", "memory_max_fragmentation_reservation_desired_bytes", METRIC_GAUGE },
	{ "maxfragmentationmemory_reservation", "memory_max_fragmentation_reservation_bytes", METRIC_GAUGE },
	{ "maxmemory", "memory_max_bytes", METRIC_GAUGE },
	{ "maxmemory_desired_reservation", "memory_max_reservation_desired_bytes", METRIC_GAUGE },
	{ "maxmemory_reservation", "memory_max_reservation_bytes", METRIC_GAUGE },
	{ "mem_aof_buffer", "mem_aof_buffer_bytes", METRIC_GAUGE },
	{ "mem_clients_normal", "mem_clients_normal", METRIC_GAUGE },
	{ "mem_clients_slaves", "mem_clients_slaves", METRIC_GAUGE },
	{ "mem_cluster_links", "mem_cluster_links_bytes", METRIC_GAUGE },
	{ "mem_fragmentation_bytes", "mem_fragmentation_bytes", METRIC_GAUGE },
	{ "mem_fragmentation_ratio", "mem_fragmentation_ratio", METRIC_GAUGE },
	{ "mem_not_counted_for_evict", "mem_not_counted_for_eviction_bytes", METRIC_GAUGE },
	{ "mem_overhead_db_hashtable_rehashing", "mem_overhead_db_hashtable_rehashing_bytes", METRIC_GAUGE },
	{ "mem_replication_backlog", "mem_replication_backlog_bytes", METRIC_GAUGE },
	{ "mem_total_replication_buffers", "mem_total_replication_buffers_bytes", METRIC_GAUGE },
	{ "migrate_cached_sockets", "migrate_cached_sockets_total", METRIC_GAUGE },
	{ "module_fork_in_progress", "module_fork_in_progress", METRIC_GAUGE },
	{ "module_fork_last_cow_size", "module_fork_last_cow_size", METRIC_GAUGE },
	{ "number_of_cached_scripts", "number_of_cached_scripts", METRIC_GAUGE },
	{ "number_of_functions", "number_of_functions", METRIC_GAUGE },
	{ "number_of_libraries", "number_of_libraries", METRIC_GAUGE },
	{ "process_id", "process_id", METRIC_GAUGE },
	{ "pubsub_channels", "pubsub_channels", METRIC_GAUGE },
	{ "pubsub_clients", "pubsub_clients", METRIC_GAUGE },
	{ "pubsub_patterns", "pubsub_patterns", METRIC_GAUGE },
	{ "pubsubshard_channels", "pubsubshard_channels", METRIC_GAUGE },
	{ "rdb_bgsave_in_progress", "rdb_bgsave_in_progress", METRIC_GAUGE },
	{ "rdb_changes_since_last_save", "rdb_changes_since_last_save", METRIC_GAUGE },
	{ "rdb_current_bgsave_time_sec", "rdb_current_bgsave_duration_sec", METRIC_GAUGE },
	{ "rdb_last_bgsave_status", "rdb_last_bgsave_status", METRIC_GAUGE },
	{ "rdb_last_bgsave_time_sec", "rdb_last_bgsave_duration_sec", METRIC_GAUGE },
	{ "rdb_last_cow_size", "rdb_last_cow_size_bytes", METRIC_GAUGE },
	{ "rdb_last_load_keys_expired", "rdb_last_load_expired_keys", METRIC_GAUGE },
	{ "rdb_last_load_keys_loaded", "rdb_last_load_loaded_keys", METRIC_GAUGE },
	{ "rdb_last_save_time", "rdb_last_save_timestamp_seconds", METRIC_GAUGE },
	{ "rdb_saves", "rdb_saves_total", METRIC_GAUGE },
	{ "rejected_connections", "rejected_connections_total", METRIC_COUNTER },
	{ "repl_backlog_active", "repl_backlog_is_active", METRIC_GAUGE },
	{ "repl_backlog_first_byte_offset", "repl_backlog_first_byte_offset", METRIC_GAUGE },
	{ "repl_backlog_histlen", "repl_backlog_history_bytes", METRIC_GAUGE },
	{ "repl_backlog_size", "replication_backlog_bytes", METRIC_GAUGE },
	{ "reply_buffer_expands", "reply_buffer_expands_total", METRIC_COUNTER },
	{ "reply_buffer_shrinks", "reply_buffer_shrinks_total", METRIC_COUNTER },
	{ "search_bytes_collected", "search_collected_bytes", METRIC_GAUGE },
	{ "search_dialect_1", "search_dialect_1", METRIC_GAUGE },
	{ "search_dialect_2", "search_dialect_2", METRIC_GAUGE },
	{ "search_dialect_3", "search_dialect_3", METRIC_GAUGE },
	{ "search_dialect_4", "search_dialect_4", METRIC_GAUGE },
	{ "search_errors_indexing_failures", "search_errors_indexing_failures", METRIC_GAUGE },
	{ "search_failure_requests_count", "search_failure_requests_count", METRIC_COUNTER },
	{ "search_gc_bytes_collected", "search_gc_collected_bytes", METRIC_GAUGE },
	{ "search_gc_marked_deleted_vectors", "search_gc_marked_deleted_vectors", METRIC_GAUGE },
	{ "search_gc_total_cycles", "search_gc_cycles_total", METRIC_COUNTER },
	{ "search_gc_total_docs_not_collected", "search_gc_total_docs_not_collected", METRIC_GAUGE },
	{ "search_gc_total_ms_run", "search_gc_run_ms_total", METRIC_COUNTER },
	{ "search_global_idle", "search_global_idle", METRIC_GAUGE },
	{ "search_global_idle_internal", "search_global_idle_internal", METRIC_GAUGE },
	{ "search_global_idle_user", "search_global_idle_user", METRIC_GAUGE },
	{ "search_global_total", "search_global_total", METRIC_GAUGE },
	{ "search_global_total_internal", "search_global_total_internal", METRIC_GAUGE },
	{ "search_global_total_user", "search_global_total_user", METRIC_GAUGE },
	{ "search_hnsw_add_exceptions_count", "search_hnsw_add_exceptions_count", METRIC_COUNTER },
	{ "search_hnsw_create_exceptions_count", "search_hnsw_create_exceptions_count", METRIC_COUNTER },
	{ "search_hnsw_modify_exceptions_count", "search_hnsw_modify_exceptions_count", METRIC_COUNTER },
	{ "search_hnsw_remove_exceptions_count", "search_hnsw_remove_exceptions_count", METRIC_COUNTER },
	{ "search_hnsw_search_exceptions_count", "search_hnsw_search_exceptions_count", METRIC_COUNTER },
	{ "search_hybrid_requests_count", "search_hybrid_requests_count", METRIC_COUNTER },
	{ "search_inline_filtering_requests_count", "search_inline_filtering_requests_count", METRIC_COUNTER },
	{ "search_largest_memory_index", "search_largest_memory_index_bytes", METRIC_GAUGE },
	{ "search_number_of_active_indexes", "search_number_of_active_indexes", METRIC_GAUGE },
	{ "search_number_of_active_indexes_indexing", "search_number_of_active_indexes_indexing", METRIC_GAUGE },
	{ "search_number_of_active_indexes_running_queries", "search_number_of_active_indexes_running_queries", METRIC_GAUGE },
	{ "search_number_of_attributes", "search_number_of_attributes", METRIC_GAUGE },
	{ "search_number_of_indexes", "search_number_of_indexes", METRIC_GAUGE },
	{ "search_query_queue_size", "search_query_queue_size", METRIC_GAUGE },
	{ "search_rdb_load_failure_cnt", "search_rdb_load_failure_count", METRIC_COUNTER },
	{ "search_rdb_load_success_cnt", "search_rdb_load_success_count", METRIC_COUNTER },
	{ "search_rdb_save_failure_cnt", "search_rdb_save_failure_count", METRIC_COUNTER },
	{ "search_rdb_save_success_cnt", "search_rdb_save_success_count", METRIC_COUNTER },
	{ "search_reader_resumed_cnt", "search_reader_resumed_count", METRIC_COUNTER },
	{ "search_smallest_memory_index", "search_smallest_memory_index_bytes", METRIC_GAUGE },
	{ "search_string_interning_store_size", "search_string_interning_store_size", METRIC_GAUGE },
	{ "search_successful_requests_count", "search_successful_requests_count", METRIC_COUNTER },
	{ "search_total_active_queries", "search_active_queries_total", METRIC_COUNTER },
	{ "search_total_active_write_threads", "search_total_active_write_threads", METRIC_GAUGE },
	{ "search_total_cycles", "search_cycles_total", METRIC_COUNTER },
	{ "search_total_indexed_documents", "search_total_indexed_documents", METRIC_GAUGE },
	{ "search_total_indexing_time", "search_indexing_time_ms_total", METRIC_COUNTER },
	{ "search_total_ms_run", "search_run_ms_total", METRIC_COUNTER },
	{ "search_total_num_docs_in_indexes", "search_total_num_docs_in_indexes", METRIC_GAUGE },
	{ "search_total_queries_processed", "search_queries_processed_total", METRIC_COUNTER },
	{ "search_total_query_commands", "search_query_commands_total", METRIC_COUNTER },
	{ "search_total_query_execution_time_ms", "search_query_execution_time_ms_total", METRIC_COUNTER },
	{ "search_used_memory_bytes", "search_used_memory_bytes", METRIC_GAUGE },
	{ "search_used_memory_indexes", "search_used_memory_indexes_bytes", METRIC_GAUGE },
	{ "search_used_memory_vector_index", "search_used_memory_vector_index_bytes", METRIC_GAUGE },
	{ "search_vector_externing_deferred_entry_cnt", "search_vector_externing_deferred_entry_count", METRIC_COUNTER },
	{ "search_vector_externing_entry_count", "search_vector_externing_entry_count", METRIC_COUNTER },
	{ "search_vector_externing_generated_value_cnt", "search_vector_externing_generated_value_count", METRIC_COUNTER },
	{ "search_vector_externing_hash_extern_errors", "search_vector_externing_hash_extern_errors", METRIC_GAUGE },
	{ "search_vector_externing_lru_promote_cnt", "search_vector_externing_lru_promote_count", METRIC_COUNTER },
	{ "search_vector_externing_num_lru_entries", "search_vector_externing_num_lru_entries", METRIC_GAUGE },
	{ "search_worker_pool_suspend_cnt", "search_worker_pool_suspend_count", METRIC_COUNTER },
	{ "search_writer_queue_size", "search_writer_queue_size", METRIC_GAUGE },
	{ "search_writer_resumed_cnt", "search_writer_resumed_count", METRIC_COUNTER },
	{ "search_writer_suspension_expired_cnt", "search_writer_suspension_expired_count", METRIC_COUNTER },
	{ "second_repl_offset", "second_repl_offset", METRIC_GAUGE },
	{ "server_threads", "server_threads_total", METRIC_GAUGE },
	{ "slave_expires_tracked_keys", "slave_expires_tracked_keys", METRIC_GAUGE },
	{ "slave_priority", "slave_priority", METRIC_GAUGE },
	{ "storage_provider_read_hits", "storage_provider_read_hits", METRIC_COUNTER },
	{ "storage_provider_read_misses", "storage_provider_read_misses", METRIC_COUNTER },
	{ "sync_full", "replica_resyncs_full", METRIC_GAUGE },
	{ "sync_partial_err", "replica_partial_resync_denied", METRIC_GAUGE },
	{ "sync_partial_ok", "replica_partial_resync_accepted", METRIC_GAUGE },
	{ "tile38_alloc_bytes", "tile38_mem_alloc_bytes", METRIC_GAUGE },
	{ "tile38_aof_size", "tile38_aof_size_bytes", METRIC_GAUGE },
	{ "tile38_avg_point_size", "tile38_avg_item_size_bytes", METRIC_GAUGE },
	{ "tile38_go_goroutines", "tile38_go_goroutines_total", METRIC_GAUGE },
	{ "tile38_go_threads", "tile38_threads_total", METRIC_GAUGE },
	{ "tile38_heap_alloc_bytes", "tile38_heap_size_bytes", METRIC_GAUGE },
	{ "tile38_heap_released_bytes", "tile38_heap_released_bytes", METRIC_GAUGE },
	{ "tile38_http_transport", "tile38_http_transport", METRIC_GAUGE },
	{ "tile38_in_memory_size", "tile38_in_memory_size_bytes", METRIC_GAUGE },
	{ "tile38_last_gc_time_seconds", "tile38_last_gc_time_seconds", METRIC_GAUGE },
	{ "tile38_max_heap_size", "tile38_max_heap_size_bytes", METRIC_GAUGE },
	{ "tile38_next_gc_bytes", "tile38_next_gc_bytes", METRIC_GAUGE },
	{ "tile38_num_collections", "tile38_num_collections_total", METRIC_GAUGE },
	{ "tile38_num_hooks", "tile38_num_hooks_total", METRIC_GAUGE },
	{ "tile38_num_objects", "tile38_num_objects_total", METRIC_GAUGE },
	{ "tile38_num_points", "tile38_num_points_total", METRIC_GAUGE },
	{ "tile38_pointer_size", "tile38_pointer_size_bytes", METRIC_GAUGE },
	{ "tile38_read_only", "tile38_read_only", METRIC_GAUGE },
	{ "tile38_sys_cpus", "tile38_cpus_total", METRIC_GAUGE },
	{ "total_blocking_keys", "total_blocking_keys", METRIC_GAUGE },
	{ "total_blocking_keys_on_nokey", "total_blocking_keys_on_nokey", METRIC_GAUGE },
	{ "total_commands_processed", "commands_processed_total", METRIC_COUNTER },
	{ "total_connections_received", "connections_received_total", METRIC_COUNTER },
	{ "total_error_replies", "total_error_replies", METRIC_COUNTER },
	{ "total_eviction_exceeded_time", "eviction_exceeded_time_ms_total", METRIC_COUNTER },
	{ "total_net_input_bytes", "net_input_bytes_total", METRIC_COUNTER },
	{ "total_net_output_bytes", "net_output_bytes_total", METRIC_COUNTER },
	{ "total_net_repl_input_bytes", "net_repl_input_bytes_total", METRIC_COUNTER },
	{ "total_net_repl_output_bytes", "net_repl_output_bytes_total", METRIC_COUNTER },
	{ "total_reads_processed", "total_reads_processed", METRIC_COUNTER },
	{ "total_watched_keys", "total_watched_keys", METRIC_GAUGE },
	{ "total_writes_processed", "total_writes_processed", METRIC_COUNTER },
	{ "tracking_clients", "tracking_clients", METRIC_GAUGE },
	{ "tracking_total_items", "tracking_total_items", METRIC_GAUGE },
	{ "tracking_total_keys", "tracking_total_keys", METRIC_GAUGE },
	{ "tracking_total_prefixes", "tracking_total_prefixes", METRIC_GAUGE },
	{ "unexpected_error_replies", "unexpected_error_replies", METRIC_COUNTER },
	{ "uptime_in_seconds", "uptime_in_seconds", METRIC_GAUGE },
	{ "used_active_time_main_thread", "active_time_main_thread_seconds_total", METRIC_COUNTER },
	{ "used_cpu_sys", "cpu_sys_seconds_total", METRIC_COUNTER },
	{ "used_cpu_sys_children", "cpu_sys_children_seconds_total", METRIC_COUNTER },
	{ "used_cpu_sys_main_thread", "cpu_sys_main_thread_seconds_total", METRIC_COUNTER },
	{ "used_cpu_user", "cpu_user_seconds_total", METRIC_COUNTER },
	{ "used_cpu_user_children", "cpu_user_children_seconds_total", METRIC_COUNTER },
	{ "used_cpu_user_main_thread", "cpu_user_main_thread_seconds_total", METRIC_COUNTER },
	{ "used_memory", "memory_used_bytes", METRIC_GAUGE },
	{ "used_memory_dataset", "memory_used_dataset_bytes", METRIC_GAUGE },
	{ "used_memory_functions", "memory_used_functions_bytes", METRIC_GAUGE },
	{ "used_memory_lua", "memory_used_lua_bytes", METRIC_GAUGE },
	{ "used_memory_overhead", "memory_used_overhead_bytes", METRIC_GAUGE },
	{ "used_memory_peak", "memory_used_peak_bytes", METRIC_GAUGE },
	{ "used_memory_rss", "memory_used_rss_bytes", METRIC_GAUGE },
	{ "used_memory_scripts", "memory_used_scripts_bytes", METRIC_GAUGE },
	{ "used_memory_scripts_eval", "memory_used_scripts_eval_bytes", METRIC_GAUGE },
	{ "used_memory_startup", "memory_used_startup_bytes", METRIC_GAUGE },
	{ "used_memory_vm_eval", "memory_used_vm_eval_bytes", METRIC_GAUGE },
	{ "used_memory_vm_functions", "memory_used_vm_functions_bytes", METRIC_GAUGE },
	{ "used_memory_vm_total", "memory_used_vm_total", METRIC_GAUGE },
	{ "watching_clients", "watching_clients", METRIC_GAUGE },
};

/* INFO fields remembered for redis_instance_info and redis_slave_info. */
enum kept {
	K_ROLE, K_VERSION, K_BUILD_ID, K_MODE, K_OS, K_POLICY, K_TCP_PORT, K_RUN_ID, K_PID,
	K_REPLID, K_VALKEY_VERSION, K_VALKEY_STAGE, K_MASTER_HOST, K_MASTER_PORT, K_READ_ONLY, K_N
};
static const char *const kept_names[K_N] = {
	"role", "redis_version", "redis_build_id", "redis_mode", "os", "maxmemory_policy",
	"tcp_port", "run_id", "process_id", "master_replid", "valkey_version", "valkey_release_stage",
	"master_host", "master_port", "slave_read_only",
};

/*
 * INFO field -> mapping, looked up for every field of every scrape: an
 * open-addressing index built once (read-only afterwards), one string
 * comparison per lookup instead of a binary search's eight.
 */
#define MAP_SLOTS 1024
static const struct info_map *map_index[MAP_SLOTS];
static signed char kept_index[MAP_SLOTS]; /* kept field + 1; 0: empty */
static pthread_once_t map_once = PTHREAD_ONCE_INIT;

static size_t field_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h & (MAP_SLOTS - 1);
}

static void build_map_index(void)
{
	for (size_t i = 0; i < sizeof info_maps / sizeof info_maps[0]; i++) {
		size_t k = field_hash(info_maps[i].field);
		while (map_index[k])
			k = (k + 1) & (MAP_SLOTS - 1);
		map_index[k] = &info_maps[i];
	}
	for (int i = 0; i < K_N; i++) {
		size_t k = field_hash(kept_names[i]);
		while (kept_index[k])
			k = (k + 1) & (MAP_SLOTS - 1);
		kept_index[k] = (signed char)(i + 1);
	}
}

/* Which of the kept fields key is, or -1. */
static int find_kept(const char *key)
{
	pthread_once(&map_once, build_map_index);
	for (size_t k = field_hash(key); kept_index[k]; k = (k + 1) & (MAP_SLOTS - 1))
		if (!strcmp(kept_names[kept_index[k] - 1], key))
			return kept_index[k] - 1;
	return -1;
}

static const struct info_map *find_map(const char *field)
{
	pthread_once(&map_once, build_map_index);
	for (size_t k = field_hash(field); map_index[k]; k = (k + 1) & (MAP_SLOTS - 1))
		if (!strcmp(map_index[k]->field, field))
			return map_index[k];
	return NULL;
}

struct family *redis_family(struct expo *e, const char *ns, const char *name,
			    enum metric_type type, const char *help, const char *const *labels)
{
	char full[256];
	strf(full, sizeof full, "%s_%s", ns, name);
	return expo_family(e, full, type, help, labels);
}


#define MAX_PERCENTILES 16

struct cmdstat {
	const char *cmd;
	uint64_t calls;
	double usec;
};

struct latstat {
	const char *cmd;
	size_t n;
	double q[MAX_PERCENTILES];
	double v[MAX_PERCENTILES];
};

struct ctx {
	const struct info_opts *o;
	struct expo *e;
	const char *kept[K_N];
	const char *master_host, *master_port; /* latest master[_N]_host/port seen */
	struct cmdstat *cs;
	size_t ncs, capcs;
	struct latstat *ls;
	size_t nls, capls;
	unsigned char *dbseen;
	long dbbits;
};

static struct family *fam(struct ctx *c, const char *name, enum metric_type t, const char *help,
			  const char *const *labels)
{
	return redis_family(c->e, c->o->ns, name, t, help, labels);
}

/* Upstream's value rules: ok/true are 1, err/fail/false are 0, else a float. */
static bool field_value(const char *v, double *out)
{
	if (!strcmp(v, "ok") || !strcmp(v, "true")) {
		*out = 1;
		return true;
	}
	if (!strcmp(v, "err") || !strcmp(v, "fail") || !strcmp(v, "false")) {
		*out = 0;
		return true;
	}
	return parse_double(v, out) == 0;
}

static void sanitize(char *dst, size_t cap, const char *src)
{
	size_t i = 0;
	for (; src[i] && i + 1 < cap; i++) {
		char ch = src[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
			  ch == '_';
		dst[i] = ok ? ch : '_';
	}
	dst[i] = '\0';
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/*
 * "master_host" / "master_3_host" style names (KeyDB multi-master): true if
 * name is "master" + optional "_<digits>" + "_" + suffix.
 */
static bool master_field(const char *name, const char *suffix)
{
	if (!has_prefix(name, "master_"))
		return false;
	const char *p = name + 7;
	if (*p >= '0' && *p <= '9') {
		while (*p >= '0' && *p <= '9')
			p++;
		if (*p != '_')
			return false;
		p++;
	}
	return !strcmp(p, suffix);
}

/*
 * Split "a=1,b=2" in place into at most max key/value pairs. Returns the
 * number of pairs, or -1 if an item has no '='.
 */
static int kv_pairs(char *s, char **keys, char **vals, size_t max)
{
	char *items[64];
	size_t n = split_on(s, ',', items, 64);
	if (n > 64 || n > max)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char *eq = strchr(items[i], '=');
		if (!eq)
			return -1;
		*eq = '\0';
		keys[i] = items[i];
		vals[i] = eq + 1;
	}
	return (int)n;
}

static const char *pair(char **keys, char **vals, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(keys[i], key))
			return vals[i];
	return NULL;
}

/* Every other field: kept only when upstream maps it (see info_maps). */
static void generic(struct ctx *c, const char *key, const char *val)
{
	const struct info_map *m = find_map(key);
	char name[160];
	char help[256];
	enum metric_type type = METRIC_GAUGE;
	double v;
	if (m) {
		strf(name, sizeof name, "%s", m->metric);
		type = m->type;
	} else if (has_prefix(key, "cluster_")) {
		sanitize(name, sizeof name, key);
	} else if (c->o->include_system && !strcmp(key, "total_system_memory")) {
		strf(name, sizeof name, "total_system_memory_bytes");
	} else if (has_prefix(key, "used_active_time_io_thread_") && all_digits(key + 27)) {
		if (!field_value(val, &v))
			return;
		struct family *f = fam(c, "active_time_io_thread_seconds_total", METRIC_COUNTER,
				       "Time an I/O thread of Redis was busy (INFO used_active_time_io_thread_N).",
				       (const char *const[]){ "thread", NULL });
		expo_sample(c->e, f, v, key + 27);
		return;
	} else {
		return;
	}
	if (!field_value(val, &v))
		return;
	if (!strcmp(name, "latest_fork_usec")) {
		strf(name, sizeof name, "latest_fork_seconds");
		v /= 1e6;
		strf(help, sizeof help, "Duration of the latest fork in seconds (INFO latest_fork_usec).");
	} else {
		strf(help, sizeof help, "Redis INFO field %s.", key);
	}
	struct family *f = fam(c, name, type, help, NULL);
	expo_value(c->e, f, v);
}

/* The Server section's fields that become metrics of their own. */
static void server_field(struct ctx *c, const char *key, const char *val)
{
	double up;
	int64_t hz;
	if (!strcmp(key, "uptime_in_seconds") && parse_double(val, &up) == 0)
		expo_value(c->e,
			   fam(c, "start_time_seconds", METRIC_GAUGE,
			       "Start time of the Redis server, seconds since the epoch.", NULL),
			   (double)(int64_t)c->o->now - up);
	else if (!strcmp(key, "hz") && parse_i64(val, &hz) == 0)
		expo_value(c->e, fam(c, "hz", METRIC_GAUGE, "Frequency of Redis' background tasks now, per second (INFO hz).", NULL),
			   (double)hz);
	else if (!strcmp(key, "configured_hz") && parse_i64(val, &hz) == 0)
		expo_value(c->e, fam(c, "configured_hz", METRIC_GAUGE,
				     "Configured frequency of Redis' background tasks, per second (INFO configured_hz).", NULL),
			   (double)hz);
}

static bool replication(struct ctx *c, const char *key, char *val)
{
	static const char *const mlabels[] = { "master_host", "master_port", NULL };
	const char *mh = c->master_host ? c->master_host : "";
	const char *mp = c->master_port ? c->master_port : "";
	if (master_field(key, "link_status")) {
		struct family *f = fam(c, "master_link_up", METRIC_GAUGE,
				       "Whether the link of this replica to its master is up.", mlabels);
		expo_sample(c->e, f, !strcmp(val, "up") ? 1 : 0, mh, mp);
		return true;
	}
	const char *name = NULL, *help = NULL;
	if (master_field(key, "last_io_seconds_ago")) {
		name = "master_last_io_seconds_ago";
		help = "Seconds since this replica last heard from its master.";
	} else if (master_field(key, "sync_in_progress")) {
		name = "master_sync_in_progress";
		help = "Whether this replica is synchronising with its master.";
	} else if (!strcmp(key, "slave_repl_offset")) {
		name = "slave_repl_offset";
		help = "Replication offset of this replica.";
	}
	if (name) {
		int64_t iv;
		if (parse_i64(val, &iv) == 0)
			expo_sample(c->e, fam(c, name, METRIC_GAUGE, help, mlabels), (double)iv, mh, mp);
		return true;
	}
	/* slaveN:ip=10.0.0.1,port=6379,state=online,offset=123,lag=0 */
	if (has_prefix(key, "slave") && key[5] >= '0' && key[5] <= '9') {
		char *keys[16], *vals[16];
		int n = kv_pairs(val, keys, vals, 16);
		const char *off = n > 0 ? pair(keys, vals, n, "offset") : NULL;
		double offset, lag;
		if (!off || parse_double(off, &offset) < 0)
			return true;
		const char *ip = pair(keys, vals, n, "ip"), *port = pair(keys, vals, n, "port");
		const char *state = pair(keys, vals, n, "state"), *lagv = pair(keys, vals, n, "lag");
		static const char *const slabels[] = { "slave_ip", "slave_port", "slave_state", NULL };
		expo_sample(c->e,
			    fam(c, "connected_slave_offset_bytes", METRIC_GAUGE,
				"Replication offset of a connected replica.", slabels),
			    offset, ip, port, state);
		/* Replicas before Redis 3.0 report no lag. */
		if (lagv && parse_double(lagv, &lag) == 0)
			expo_sample(c->e,
				    fam(c, "connected_slave_lag_seconds", METRIC_GAUGE,
					"Seconds since the last ack of a connected replica.", slabels),
				    lag, ip, port, state);
		return true;
	}
	return false;
}

static bool keyspace(struct ctx *c, const char *key, char *val)
{
	if (!has_prefix(key, "db"))
		return false;
	char *keys[16], *vals[16];
	int n = kv_pairs(val, keys, vals, 16);
	if (n < 2)
		return true;
	const char *k = pair(keys, vals, n, "keys"), *x = pair(keys, vals, n, "expires");
	const char *ttl = pair(keys, vals, n, "avg_ttl"), *cached = pair(keys, vals, n, "cached_keys");
	double nk, nx, v;
	if (!k || !x || parse_double(k, &nk) < 0 || parse_double(x, &nx) < 0)
		return true;
	static const char *const dbl[] = { "db", NULL };
	expo_sample(c->e, fam(c, "db_keys", METRIC_GAUGE, "Number of keys in a database.", dbl), nk, key);
	expo_sample(c->e,
		    fam(c, "db_keys_expiring", METRIC_GAUGE,
			"Number of keys with an expiry in a database.", dbl),
		    nx, key);
	if (ttl && parse_double(ttl, &v) == 0)
		expo_sample(c->e,
			    fam(c, "db_avg_ttl_seconds", METRIC_GAUGE,
				"Average time to live of the expiring keys of a database, in seconds.", dbl),
			    v / 1000, key);
	if (cached && parse_double(cached, &v) == 0)
		expo_sample(c->e,
			    fam(c, "db_keys_cached", METRIC_GAUGE,
				"Number of cached keys in a database (KeyDB).", dbl),
			    v, key);
	uint64_t idx;
	if (c->dbseen && parse_u64(key + 2, &idx) == 0 && idx < (uint64_t)c->dbbits)
		c->dbseen[idx / 8] |= (unsigned char)(1u << (idx % 8));
	return true;
}

static void commandstat(struct ctx *c, const char *key, char *val)
{
	if (!has_prefix(key, "cmdstat_") || !key[8])
		return;
	const char *cmd = key + 8;
	char *keys[16], *vals[16];
	int n = kv_pairs(val, keys, vals, 16);
	const char *calls = n > 0 ? pair(keys, vals, n, "calls") : NULL;
	const char *usec = n > 0 ? pair(keys, vals, n, "usec") : NULL;
	uint64_t ncalls;
	double nusec, v;
	if (!calls || !usec || parse_u64(calls, &ncalls) < 0 || parse_double(usec, &nusec) < 0)
		return;
	static const char *const cl[] = { "cmd", NULL };
	expo_sample(c->e, fam(c, "commands_total", METRIC_COUNTER, "Calls of a command.", cl),
		    (double)ncalls, cmd);
	expo_sample(c->e,
		    fam(c, "commands_duration_seconds_total", METRIC_COUNTER,
			"Time spent executing a command, in seconds.", cl),
		    nusec / 1e6, cmd);
	/* Redis 6.2 and later. */
	const char *rej = pair(keys, vals, n, "rejected_calls");
	const char *fail = pair(keys, vals, n, "failed_calls");
	if (rej && parse_double(rej, &v) == 0)
		expo_sample(c->e,
			    fam(c, "commands_rejected_calls_total", METRIC_COUNTER,
				"Calls of a command rejected before execution (unknown command, wrong arity, ACL, OOM...).",
				cl),
			    v, cmd);
	if (fail && parse_double(fail, &v) == 0)
		expo_sample(c->e,
			    fam(c, "commands_failed_calls_total", METRIC_COUNTER,
				"Calls of a command that failed during execution.", cl),
			    v, cmd);
	if (c->ncs == c->capcs) {
		size_t cap = c->capcs ? c->capcs * 2 : 64;
		struct cmdstat *p = realloc(c->cs, cap * sizeof *p);
		if (!p)
			return;
		c->cs = p;
		c->capcs = cap;
	}
	c->cs[c->ncs++] = (struct cmdstat){ cmd, ncalls, nusec };
}

static void latencystat(struct ctx *c, const char *key, char *val)
{
	static const char prefix[] = "latency_percentiles_usec_";
	if (!has_prefix(key, prefix) || !key[sizeof prefix - 1])
		return;
	char *keys[MAX_PERCENTILES], *vals[MAX_PERCENTILES];
	int n = kv_pairs(val, keys, vals, MAX_PERCENTILES);
	if (n < 1)
		return;
	struct latstat l = { .cmd = key + sizeof prefix - 1 };
	for (int i = 0; i < n; i++) {
		double q, v;
		if (keys[i][0] != 'p' || parse_double(keys[i] + 1, &q) < 0 || parse_double(vals[i], &v) < 0 ||
		    q != q)
			return;
		/* Keep the quantiles ascending, as the summary wants. */
		size_t j = l.n;
		while (j > 0 && l.q[j - 1] > q) {
			l.q[j] = l.q[j - 1];
			l.v[j] = l.v[j - 1];
			j--;
		}
		if (j > 0 && l.q[j - 1] == q)
			return; /* a percentile given twice */
		l.q[j] = q;
		l.v[j] = v;
		l.n++;
	}
	if (c->nls == c->capls) {
		size_t cap = c->capls ? c->capls * 2 : 64;
		struct latstat *p = realloc(c->ls, cap * sizeof *p);
		if (!p)
			return;
		c->ls = p;
		c->capls = cap;
	}
	c->ls[c->nls++] = l;
}

static void errorstat(struct ctx *c, const char *key, char *val)
{
	if (!has_prefix(key, "errorstat_") || !key[10])
		return;
	char *keys[4], *vals[4];
	int n = kv_pairs(val, keys, vals, 4);
	const char *count = n > 0 ? pair(keys, vals, n, "count") : NULL;
	double v;
	if (!count || parse_double(count, &v) < 0)
		return;
	expo_sample(c->e,
		    fam(c, "errors_total", METRIC_COUNTER, "Error replies of Redis by error prefix.",
			(const char *const[]){ "err", NULL }),
		    v, key + 10);
}

static void sentinel(struct ctx *c, const char *key, char *val)
{
	static const char *const simple[] = { "sentinel_masters", "sentinel_tilt",
					      "sentinel_running_scripts", "sentinel_scripts_queue_length",
					      "sentinel_simulate_failure_flags" };
	for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++) {
		if (strcmp(key, simple[i]))
			continue;
		int64_t v;
		char help[128];
		strf(help, sizeof help, "Redis Sentinel INFO field %s.", key);
		if (parse_i64(val, &v) == 0)
			expo_value(c->e, fam(c, key, METRIC_GAUGE, help, NULL), (double)v);
		return;
	}
	/* master0:name=mymaster,status=ok,address=127.0.0.1:6379,slaves=1,sentinels=3 */
	if (!has_prefix(key, "master") || key[6] < '0' || key[6] > '9')
		return;
	char *keys[16], *vals[16];
	int n = kv_pairs(val, keys, vals, 16);
	if (n < 1)
		return;
	const char *name = pair(keys, vals, n, "name"), *status = pair(keys, vals, n, "status");
	const char *addr = pair(keys, vals, n, "address");
	const char *slaves = pair(keys, vals, n, "slaves"), *sentinels = pair(keys, vals, n, "sentinels");
	double ns, nt;
	if (!slaves || !sentinels || parse_double(slaves, &ns) < 0 || parse_double(sentinels, &nt) < 0)
		return;
	static const char *const ml[] = { "master_name", "master_address", NULL };
	expo_sample(c->e,
		    fam(c, "sentinel_master_status", METRIC_GAUGE,
			"Whether Sentinel sees this master as ok.",
			(const char *const[]){ "master_name", "master_address", "master_status", NULL }),
		    status && !strcmp(status, "ok") ? 1 : 0, name, addr, status);
	expo_sample(c->e,
		    fam(c, "sentinel_master_slaves", METRIC_GAUGE, "Replicas of a master seen by Sentinel.",
			ml),
		    ns, name, addr);
	expo_sample(c->e,
		    fam(c, "sentinel_master_sentinels", METRIC_GAUGE,
			"Sentinels monitoring a master.", ml),
		    nt, name, addr);
}

static int cmp_cmdstat(const void *a, const void *b)
{
	return strcmp(((const struct cmdstat *)a)->cmd, ((const struct cmdstat *)b)->cmd);
}

/* Latency summaries join latencystats with the count and sum of commandstats. */
static void latency_summaries(struct ctx *c)
{
	if (!c->nls || !c->ncs)
		return;
	qsort(c->cs, c->ncs, sizeof *c->cs, cmp_cmdstat);
	struct family *f = NULL;
	for (size_t i = 0; i < c->nls; i++) {
		struct cmdstat key = { .cmd = c->ls[i].cmd };
		const struct cmdstat *cs = bsearch(&key, c->cs, c->ncs, sizeof *c->cs, cmp_cmdstat);
		if (!cs)
			continue;
		if (!f)
			f = fam(c, "latency_percentiles_usec", METRIC_SUMMARY,
				"Latency percentiles of a command in microseconds; the quantile label is the percentile (50, 99, 99.9) as upstream.",
				(const char *const[]){ "cmd", NULL });
		expo_add_summary(c->e, f, (const char *const[]){ cs->cmd }, cs->calls, cs->usec,
				 c->ls[i].n, c->ls[i].q, c->ls[i].v);
	}
}

/* Split "key:value" at the first ':'; false for lines without one. */
static bool split_field(char *line, char **key, char **val)
{
	char *colon = strchr(line, ':');
	if (!colon || strlen(line) < 2)
		return false;
	*colon = '\0';
	*key = line;
	*val = colon + 1;
	return true;
}

int redis_info_parse(char *text, const struct info_opts *o, struct expo *e, struct info_result *res)
{
	struct ctx c = { .o = o, .e = e };
	memset(res, 0, sizeof *res);
	long dbcount = o->dbcount > INFO_MAX_PADDED_DBS ? INFO_MAX_PADDED_DBS : o->dbcount;
	if (dbcount > 0) {
		c.dbseen = calloc((size_t)(dbcount + 7) / 8, 1);
		c.dbbits = c.dbseen ? dbcount : 0;
	}
	/* The section is known once per header line, not compared on every field. */
	enum { S_OTHER, S_REPLICATION, S_SERVER, S_COMMANDSTATS, S_LATENCYSTATS, S_ERRORSTATS,
	       S_KEYSPACE, S_SENTINEL } section = S_OTHER;
	static const char *const section_names[] = { "", "Replication", "Server", "Commandstats",
						      "Latencystats", "Errorstats", "Keyspace", "Sentinel" };
	char *cursor = text, *line;
	while ((line = next_line(&cursor))) {
		line = trim(line);
		if (line[0] == '#' && line[1] == ' ') {
			section = S_OTHER;
			for (int i = 1; i < (int)(sizeof section_names / sizeof section_names[0]); i++)
				if (!strcmp(line + 2, section_names[i]))
					section = i;
			if (section == S_SENTINEL)
				res->sentinel = true;
			continue;
		}
		char *key, *val;
		if (!split_field(line, &key, &val))
			continue;
		res->fields++;
		int kept = find_kept(key);
		if (kept >= 0)
			c.kept[kept] = val;
		if (master_field(key, "host"))
			c.master_host = val;
		else if (master_field(key, "port"))
			c.master_port = val;
		if (!strcmp(key, "cluster_enabled") && !strcmp(val, "1"))
			res->cluster_enabled = true;

		if (section == S_REPLICATION) {
			if (replication(&c, key, val))
				continue;
		} else if (section == S_SERVER) {
			server_field(&c, key, val);
		} else if (section == S_COMMANDSTATS) {
			commandstat(&c, key, val);
			continue;
		} else if (section == S_LATENCYSTATS) {
			latencystat(&c, key, val);
			continue;
		} else if (section == S_ERRORSTATS) {
			errorstat(&c, key, val);
			continue;
		} else if (section == S_KEYSPACE) {
			if (keyspace(&c, key, val))
				continue;
		} else if (section == S_SENTINEL) {
			sentinel(&c, key, val);
		}
		if (!has_prefix(key, "db") && !has_prefix(key, "cmdstat_"))
			generic(&c, key, val);
	}

	latency_summaries(&c);
	if (res->fields) {
		static const char *const dbl[] = { "db", NULL };
		for (long i = 0; i < c.dbbits; i++) {
			if (c.dbseen[i / 8] & (1u << (i % 8)))
				continue;
			char db[32];
			strf(db, sizeof db, "db%ld", i);
			expo_sample(e, fam(&c, "db_keys", METRIC_GAUGE, "Number of keys in a database.", dbl),
				    0, db);
			expo_sample(e,
				    fam(&c, "db_keys_expiring", METRIC_GAUGE,
					"Number of keys with an expiry in a database.", dbl),
				    0, db);
		}
		const char *const *k = c.kept;
		/* Valkey's own version labels only when the server has them, as upstream. */
		const char *names[16] = { "role", "redis_version", "redis_build_id", "redis_mode", "os",
					  "maxmemory_policy", "tcp_port", "run_id", "process_id", "master_replid" };
		const char *values[16] = { k[K_ROLE], k[K_VERSION], k[K_BUILD_ID], k[K_MODE], k[K_OS],
					   k[K_POLICY], k[K_TCP_PORT], k[K_RUN_ID], k[K_PID], k[K_REPLID] };
		size_t n = 10;
		if (k[K_VALKEY_VERSION]) {
			names[n] = "valkey_version";
			values[n++] = k[K_VALKEY_VERSION];
		}
		if (k[K_VALKEY_STAGE]) {
			names[n] = "valkey_release_stage";
			values[n++] = k[K_VALKEY_STAGE];
		}
		names[n] = NULL;
		expo_add(e, fam(&c, "instance_info", METRIC_GAUGE, "Information about the Redis server, from INFO; always 1.",
				names),
			 1, values);
		if (k[K_ROLE] && !strcmp(k[K_ROLE], "slave"))
			expo_sample(e,
				    fam(&c, "slave_info", METRIC_GAUGE,
					"Information about a replica and its master; always 1.",
					(const char *const[]){ "master_host", "master_port", "read_only",
							       NULL }),
				    1, k[K_MASTER_HOST], k[K_MASTER_PORT], k[K_READ_ONLY]);
	}
	free(c.cs);
	free(c.ls);
	free(c.dbseen);
	return res->fields ? 0 : -1;
}

/*
 * The next "key:value" line of CLUSTER INFO or INFO MODULES: upstream
 * takes only lines of exactly two ':'-separated parts. NULL at the end.
 */
static char *next_pair(char **cursor, char **val)
{
	char *line;
	while ((line = next_line(cursor))) {
		line = trim(line);
		char *colon = strchr(line, ':');
		if (!colon || strchr(colon + 1, ':'))
			continue;
		*colon = '\0';
		*val = colon + 1;
		return line;
	}
	return NULL;
}

int redis_cluster_info_parse(char *text, const struct info_opts *o, struct expo *e)
{
	struct ctx c = { .o = o, .e = e };
	size_t fields = 0;
	char *cursor = text, *key, *val;
	while ((key = next_pair(&cursor, &val))) {
		fields++;
		if (has_prefix(key, "cluster_"))
			generic(&c, key, val);
	}
	return fields ? 0 : -1;
}

/* The value after "key=" of a module line's item, or "" (upstream's extractModuleVal). */
static const char *module_value(char *item)
{
	char *eq = strchr(item, '=');
	return eq ? eq + 1 : "";
}

int redis_info_modules_parse(char *text, const struct info_opts *o, struct expo *e)
{
	struct ctx c = { .o = o, .e = e };
	int modules = 0;
	char *cursor = text, *key, *val;
	while ((key = next_pair(&cursor, &val))) {
		if (strcmp(key, "module")) {
			generic(&c, key, val);
			continue;
		}
		/* module:name=search,ver=21005,api=1,filters=0,usedby=[],using=[],options=[] */
		char *items[8];
		if (split_on(val, ',', items, 8) != 7)
			continue;
		expo_sample(e,
			    fam(&c, "module_info", METRIC_GAUGE, "A module loaded into Redis (INFO MODULES); always 1.",
				(const char *const[]){ "name", "ver", "api", "filters", "usedby", "using", NULL }),
			    1, module_value(items[0]), module_value(items[1]), module_value(items[2]),
			    module_value(items[3]), module_value(items[4]), module_value(items[5]));
		modules++;
	}
	return modules;
}

void redis_info_field(const struct info_opts *o, struct expo *e, const char *key, const char *val)
{
	struct ctx c = { .o = o, .e = e };
	generic(&c, key, val);
}
