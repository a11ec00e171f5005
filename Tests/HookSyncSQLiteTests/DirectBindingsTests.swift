import Foundation
import GRDB
@testable import HookSyncSQLite
import Testing

/// Values bound with SQLite's C API reach the statement, and the statement stays usable through GRDB.
@Suite("Direct bindings")
struct DirectBindingsTests {
    let db: DatabaseQueue

    init() throws {
        db = try DatabaseQueue()
        try db.write { try $0.execute(sql: "CREATE TABLE t (a TEXT, b INTEGER, c TEXT)") }
    }

    @Test func boundValuesAreWhatExecuteAndCursorsUse() throws {
        try db.write { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO t (a, b, c) VALUES (?1, ?2, ?3) RETURNING a")
            let values = DirectBindings(insert)
            try values.bind("é ✓", at: 1)
            try values.bind(nil as Int64?, at: 2)
            try values.bind(.integer(42), at: 3)
            #expect(try String.fetchAll(insert) == ["é ✓"])

            // Direct bindings replace the ones before, and GRDB's own arguments still work after them.
            let again = DirectBindings(insert)
            try again.bind(.text("second"), at: 1)
            try again.bind(7, at: 2)
            try again.bind("x", at: 3)
            try insert.execute()
            try insert.execute(arguments: ["third", 8, "y"])
        }
        let rows = try db.read { try Row.fetchAll($0, sql: "SELECT a, b, c FROM t ORDER BY rowid") }
        #expect(rows.map { $0[0] as String } == ["é ✓", "second", "third"])
        #expect(rows.map { $0[1] as Int64? } == [nil, 7, 8])
        #expect(rows.map { $0[2] as String } == ["42", "x", "y"])
    }

    /// A listing row's JSON is bound from its bytes: stored as the same text, typed TEXT, and an empty
    /// one is the empty string, not NULL.
    @Test func utf8BytesAreBoundAsText() throws {
        try db.write { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO t (a) VALUES (?1)")
            for text in [#"{"name":"Ærø ✓"}"#, ""] {
                let values = DirectBindings(insert)
                try values.bind(utf8Text: Data(text.utf8), at: 1)
                try insert.execute()
            }
        }
        let rows = try db.read { try Row.fetchAll($0, sql: "SELECT a, typeof(a) FROM t ORDER BY rowid") }
        #expect(rows.map { $0[0] as String? } == [#"{"name":"Ærø ✓"}"#, ""])
        #expect(rows.map { $0[1] as String } == ["text", "text"])
    }

    @Test func aParameterTheStatementLacksIsAnError() throws {
        try db.write { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO t (a) VALUES (?1)")
            let error = #expect(throws: DatabaseError.self) { try DirectBindings(insert).bind("x", at: 2) }
            #expect(error?.resultCode == .SQLITE_RANGE)
            #expect(error?.message?.contains("?2") == true)
        }
    }
}
