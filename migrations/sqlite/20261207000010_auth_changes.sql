-- The same schema version as PostgreSQL's auth-change notifications, which SQLite needs not:
-- its auth cache notices other processes' writes by the WAL file (store/sqlite/auth_reader.rs).
SELECT 1;
