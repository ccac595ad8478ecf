package gormdb

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/notifypush/notify_push/internal/testenv"
)

func askedForTLS(t *testing.T, url string, askedTLS <-chan bool) bool {
	t.Helper()
	cfg, _, err := mysqlConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = db.PingContext(ctx) // the fake server hangs up after the first answer
	select {
	case asked := <-askedTLS:
		return asked
	case <-ctx.Done():
		t.Fatal("the client never answered the greeting")
		return false
	}
}

// TestMySQLWithoutSSLModeTriesTLSFirst is issue 18 item 4: a DATABASE_URL
// without ssl-mode asks a server that offers TLS for it, as upstream's sqlx
// does (its default is preferred); ssl-mode=disabled does not.
func TestMySQLWithoutSSLModeTriesTLSFirst(t *testing.T) {
	addr, asked := testenv.FakeMySQL(t)
	if !askedForTLS(t, "mysql://nc:pw@"+addr+"/nextcloud", asked) {
		t.Fatal("no TLS asked for without ssl-mode: a server requiring secure transport would refuse the login")
	}
	addr, asked = testenv.FakeMySQL(t)
	if askedForTLS(t, "mysql://nc:pw@"+addr+"/nextcloud?ssl-mode=disabled", asked) {
		t.Fatal("TLS asked for with ssl-mode=disabled")
	}
}
