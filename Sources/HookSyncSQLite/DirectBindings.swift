import Foundation
import GRDB
import GRDBSQLite

/// Binds a prepared statement's values with SQLite's C API, for the statements a listing page runs
/// once per hundred rows with three hundred values each.
///
/// GRDB's `StatementArguments` boxes every value as an existential, then checks and binds them on
/// each execution, a share of the mirror writer's CPU that binding here saves
/// (docs/decisions.md#listing-statements-bind-with-sqlites-c-api).
///
/// ```swift
/// let statement = try db.cachedStatement(sql: "INSERT INTO t (a, b) VALUES (?1, ?2)")
/// let values = DirectBindings(statement)
/// try values.bind("x", at: 1)
/// try values.bind(nil as Int64?, at: 2)
/// try statement.execute()      // no arguments: runs with the values bound here
/// ```
struct DirectBindings {
    enum Value {
        case text(String)
        case integer(Int64)
    }

    private let statement: Statement

    /// Clears the statement's bindings and tells GRDB its arguments are set (to none), so that
    /// `execute()` and cursors made without arguments run it with the values bound here, rather
    /// than checking an empty argument list against its parameters.
    init(_ statement: Statement) {
        statement.setUncheckedArguments(StatementArguments())
        self.statement = statement
    }

    func bind(_ text: String, at index: Int32) throws {
        try check(sqlite3_bind_text(statement.sqliteStatement, index, text, -1, sqliteTransient), index)
    }

    /// Text given as its UTF-8 bytes, which SQLite takes as they are (it does not check them).
    func bind(utf8Text bytes: Data, at index: Int32) throws {
        let code = bytes.withUnsafeBytes { buffer in
            // SQLite binds NULL for a null pointer, and empty text is not NULL.
            guard let start = buffer.baseAddress else { return sqlite3_bind_text(statement.sqliteStatement, index, "", 0, sqliteTransient) }
            return sqlite3_bind_text(statement.sqliteStatement, index, start.assumingMemoryBound(to: CChar.self), Int32(buffer.count), sqliteTransient)
        }
        try check(code, index)
    }

    func bind(_ integer: Int64?, at index: Int32) throws {
        guard let integer else { return try check(sqlite3_bind_null(statement.sqliteStatement, index), index) }
        try check(sqlite3_bind_int64(statement.sqliteStatement, index, integer), index)
    }

    func bind(_ value: Value, at index: Int32) throws {
        switch value {
        case .text(let text): try bind(text, at: index)
        case .integer(let integer): try bind(integer, at: index)
        }
    }

    private func check(_ code: Int32, _ index: Int32) throws {
        guard code != SQLITE_OK else { return }
        throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "cannot bind parameter ?\(index)", sql: statement.sql)
    }
}

/// SQLite copies the bytes before the bind call returns, so the Swift string may go at once.
private let sqliteTransient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
