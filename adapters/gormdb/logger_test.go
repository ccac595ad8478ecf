package gormdb

import (
	"log/slog"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/notifypush/notify_push/internal/testenv"
)

func TestGormLoggerWarnsOfSlowQueriesWithoutValues(t *testing.T) {
	db := openSQLite(t)
	logs := testenv.NewLogRecorder()
	l := newGormLogger(slog.New(logs))
	l.slow = 0 // every query is slow
	var got string
	if err := db.Session(&gorm.Session{Logger: l}).Raw("SELECT ?", "v4lue-in-param").Row().Scan(&got); err != nil {
		t.Fatal(err)
	}
	text := logs.Text()
	if logs.Count(slog.LevelWarn) != 1 || !strings.Contains(text, "SELECT ?") {
		t.Fatalf("want one warning with the SQL, got:\n%s", text)
	}
	if strings.Contains(text, "v4lue") {
		t.Fatalf("a parameter value was logged:\n%s", text)
	}
}

func TestGormLoggerKeepsFailuresAtDebug(t *testing.T) {
	db := openSQLite(t)
	logs := testenv.NewLogRecorder()
	_ = db.Session(&gorm.Session{Logger: newGormLogger(slog.New(logs))}).Exec("SELECT * FROM missing WHERE x = ?", "v4lue").Error
	if logs.Count(slog.LevelDebug) != 1 || logs.Count(slog.LevelWarn)+logs.Count(slog.LevelError) != 0 {
		t.Fatalf("want one debug record, got:\n%s", logs.Text())
	}
	if strings.Contains(logs.Text(), "v4lue") {
		t.Fatalf("a parameter value was logged:\n%s", logs.Text())
	}
}
