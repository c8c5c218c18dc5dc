import ErrandCore
import GRDB

/// v11: a fan-out's output is stored once, in its children. Until v9 a parent held a copy of every chunk of its
/// children, labelled with the child's host (the `host` column), and its readers had cursors over that copy.
///
/// What the migration does with a database of v9:
/// 1. a reader's cursor on a parent becomes cursors on its children: of the copies up to that cursor, those
///    labelled with a child's host were that child's first chunks, in order, so the reader is placed after as
///    many of the child's chunks (never moving a cursor the reader already had on the child back);
/// 2. the parents' copies and cursors are deleted;
/// 3. the children's chunks are numbered in their parent's order (by time, then child, then number: the order
///    the copies were made in), and each parent's `outputSeq` becomes its last number.
///
/// Nothing a reader had received from a parent is received again, and nothing is lost: every copy had its
/// original in a child. The `host` column stays, empty (SQLite before 3.35 cannot drop a column); the
/// migration runs in Swift rather than SQL for the same reason (no `UPDATE … FROM` before 3.33).
enum SQLiteFanOutMigration {
    static func migrate(_ db: Database) throws {
        try db.execute(
            sql: """
                ALTER TABLE output ADD COLUMN fan_out_id INTEGER;
                ALTER TABLE output ADD COLUMN fan_out_seq INTEGER;
                CREATE INDEX output_by_fan_out ON output (fan_out_id, fan_out_seq) WHERE fan_out_id IS NOT NULL;
                CREATE INDEX runs_by_parent ON runs (parent_id);
                """)
        let type = Run.fanOutType.rawValue
        try carryCursors(db, type: type)
        for table in ["output", "cursors"] {
            try db.execute(
                sql: "DELETE FROM \(table) WHERE run_id IN (SELECT id FROM runs WHERE type = ? AND parent_id IS NULL)",
                arguments: [type])
        }
        try number(db, type: type)
    }

    /// Step 1: each reader's position in a parent's copy, as positions in its children.
    static func carryCursors(_ db: Database, type: String) throws {
        let carried = try Row.fetchAll(
            db,
            sql: """
                SELECT child.id AS child, cursor.reader AS reader,
                    (SELECT COUNT(*) FROM output AS copy
                     WHERE copy.run_id = parent.id AND copy.seq <= cursor.position AND copy.host = child.instance) AS taken
                FROM cursors AS cursor
                JOIN runs AS parent ON parent.id = cursor.run_id AND parent.type = ?1 AND parent.parent_id IS NULL
                JOIN runs AS child ON child.parent_id = parent.id AND child.type = ?1
                """, arguments: [type])
        for row in carried {
            let taken: Int64 = row["taken"]
            guard taken > 0,
                let position = try Int64.fetchOne(
                    db, sql: "SELECT seq FROM output WHERE run_id = ? ORDER BY seq LIMIT 1 OFFSET ?",
                    arguments: [row["child"], taken - 1])
            else { continue }
            try db.execute(
                sql: """
                    INSERT INTO cursors (run_id, reader, position) VALUES (?, ?, ?)
                    ON CONFLICT (run_id, reader) DO UPDATE SET position = MAX(position, excluded.position)
                    """, arguments: [row["child"], row["reader"], position])
        }
    }

    /// Step 3: the children's chunks numbered in their parents' order.
    static func number(_ db: Database, type: String) throws {
        let chunks = try Row.fetchAll(
            db,
            sql: """
                SELECT output.run_id AS run_id, output.seq AS seq, child.parent_id AS parent
                FROM output JOIN runs AS child ON child.id = output.run_id
                WHERE child.type = ? AND child.parent_id IS NOT NULL
                ORDER BY child.parent_id, output.time, output.run_id, output.seq
                """, arguments: [type])
        var last: [Int64: Int64] = [:]
        let update = try db.makeStatement(sql: "UPDATE output SET fan_out_id = ?, fan_out_seq = ? WHERE run_id = ? AND seq = ?")
        for row in chunks {
            let parent: Int64 = row["parent"]
            let number = (last[parent] ?? 0) + 1
            last[parent] = number
            try update.execute(arguments: [parent, number, row["run_id"], row["seq"]])
        }
        try db.execute(sql: "UPDATE runs SET output_seq = 0 WHERE type = ? AND parent_id IS NULL", arguments: [type])
        for (parent, number) in last {
            try db.execute(sql: "UPDATE runs SET output_seq = ? WHERE id = ?", arguments: [number, parent])
        }
    }
}
