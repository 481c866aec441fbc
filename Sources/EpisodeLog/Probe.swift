import GRDB
import GRDBSQLite
func probe(_ s: Statement) { _ = sqlite3_bind_int64(s.sqliteStatement, 1, 0) }
