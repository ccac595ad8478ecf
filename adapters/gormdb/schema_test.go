package gormdb

import (
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"gorm.io/gorm"
)

// column is a column as the database describes it, normalised across dialects.
type column struct {
	typ     string // "bigint", "int", "varchar(64)", ...
	notNull bool
}

func (c column) String() string {
	if c.notNull {
		return c.typ + " NOT NULL"
	}
	return c.typ + " NULL"
}

// columns reads the columns of table from the database's catalogue.
func columns(t *testing.T, db *gorm.DB, table string) map[string]column {
	t.Helper()
	var q string
	switch db.Name() {
	case "sqlite":
		q = `SELECT name, type, "notnull" <> 0 FROM pragma_table_info(?)`
	case "postgres":
		q = `SELECT column_name, CASE WHEN data_type = 'character varying' THEN 'varchar(' || character_maximum_length || ')'
			ELSE data_type END, is_nullable = 'NO'
			FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?`
	case "mysql":
		q = `SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE = 'NO'
			FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`
	}
	rows, err := db.Raw(q, table).Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols := map[string]column{}
	for rows.Next() {
		var name, typ string
		var notNull sql.NullBool
		if err := rows.Scan(&name, &typ, &notNull); err != nil {
			t.Fatal(err)
		}
		typ = strings.ToLower(typ)
		switch typ {
		case "integer", "int(11)", "int4":
			typ = "int"
		case "bigint(20)", "int8":
			typ = "bigint"
		}
		cols[name] = column{typ: typ, notNull: notNull.Bool}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return cols
}

func TestCreateNextcloudSchema(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			db := b.open(t)
			for _, intIDs := range []bool{false, true} {
				t.Run(fmt.Sprintf("int ids %v", intIDs), func(t *testing.T) {
					f := tables(t, db, intIDs)
					// It may run again over existing tables.
					if err := createSchema(testContext(t), db, f.prefix, intIDs); err != nil {
						t.Fatalf("second run: %v", err)
					}
					checkColumns(t, db, f.prefix, intIDs)
					checkUniquePathHash(t, f)
				})
			}
		})
	}
}

func checkColumns(t *testing.T, db *gorm.DB, prefix string, intIDs bool) {
	id := "bigint"
	if intIDs {
		id = "int"
	}
	// SQLite's auto-increment key must be declared INTEGER; it holds 64 bits anyway.
	serial := id
	if db.Name() == "sqlite" {
		serial = "int"
	}
	want := map[string]map[string]column{
		"mounts": {
			"id":                   {serial, true},
			"storage_id":           {id, true},
			"root_id":              {id, true},
			"user_id":              {"varchar(64)", true},
			"mount_point":          {"varchar(4000)", true},
			"mount_id":             {id, false},
			"mount_provider_class": {"varchar(128)", false},
		},
		"filecache": {
			"fileid":           {serial, true},
			"storage":          {id, true},
			"path":             {"varchar(4000)", false},
			"path_hash":        {"varchar(32)", true},
			"parent":           {id, true},
			"name":             {"varchar(250)", false},
			"mimetype":         {id, true},
			"mimepart":         {id, true},
			"size":             {"bigint", true},
			"mtime":            {id, true},
			"storage_mtime":    {id, true},
			"encrypted":        {"int", true},
			"unencrypted_size": {"bigint", true},
			"etag":             {"varchar(40)", false},
			"permissions":      {"int", false},
			"checksum":         {"varchar(255)", false},
		},
	}
	for table, cols := range want {
		got := columns(t, db, prefix+table)
		if len(got) != len(cols) {
			t.Errorf("%s has %d columns, want %d: %v", table, len(got), len(cols), got)
		}
		for name, c := range cols {
			if got[name] != c {
				t.Errorf("%s.%s is %v, want %v", table, name, got[name], c)
			}
		}
	}
}

func checkUniquePathHash(t *testing.T, f fixture) {
	f.file(1, 1, str("files/a"))
	f.file(2, 2, str("files/a")) // same path, another storage: fine
	insert := "INSERT INTO " + f.prefix + "filecache (fileid, storage, path, path_hash) VALUES (?, ?, ?, ?)"
	if err := f.db.Exec(insert, 3, 1, "files/a", pathHash("files/a")).Error; err == nil {
		t.Error("a second row with the same storage and path_hash was accepted")
	}
}

func TestCreateNextcloudSchemaRefusesBadPrefix(t *testing.T) {
	db := openSQLite(t)
	if err := CreateNextcloudSchema(testContext(t), db, "x; DROP TABLE y; --"); err == nil {
		t.Fatal("bad prefix accepted")
	}
	var n int64
	if err := db.Raw("SELECT COUNT(*) FROM sqlite_master").Scan(&n).Error; err != nil || n != 0 {
		t.Fatalf("%d objects created, %v", n, err)
	}
}
