package gormdb

import (
	"context"
	"database/sql"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// fakeMySQL greets each client as a MySQL server that offers TLS and
// reports whether the client's first answer asked to switch to TLS, which
// is what a server with require_secure_transport=ON insists on.
func fakeMySQL(t *testing.T) (addr string, askedTLS <-chan bool) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	out := make(chan bool, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		const (
			protocol41 = 0x200
			ssl        = 0x800
			secureConn = 0x8000
			pluginAuth = 0x80000
		)
		caps := uint32(protocol41 | ssl | secureConn | pluginAuth | 0xf)
		p := []byte{10}
		p = append(p, "5.7.99-fake\x00"...)
		p = binary.LittleEndian.AppendUint32(p, 1)
		p = append(p, "abcdefgh"...)
		p = append(p, 0)
		p = binary.LittleEndian.AppendUint16(p, uint16(caps))
		p = append(p, 0x21)
		p = binary.LittleEndian.AppendUint16(p, 2)
		p = binary.LittleEndian.AppendUint16(p, uint16(caps>>16))
		p = append(p, 21)
		p = append(p, make([]byte, 10)...)
		p = append(p, "ijklmnopqrst\x00"...)
		p = append(p, "mysql_native_password\x00"...)
		hdr := []byte{byte(len(p)), byte(len(p) >> 8), byte(len(p) >> 16), 0}
		if _, err := c.Write(append(hdr, p...)); err != nil {
			return
		}
		if _, err := io.ReadFull(c, hdr); err != nil {
			return
		}
		body := make([]byte, int(hdr[0])|int(hdr[1])<<8|int(hdr[2])<<16)
		if _, err := io.ReadFull(c, body); err != nil || len(body) < 4 {
			return
		}
		out <- binary.LittleEndian.Uint32(body)&ssl != 0
	}()
	return ln.Addr().String(), out
}

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
	addr, asked := fakeMySQL(t)
	if !askedForTLS(t, "mysql://nc:pw@"+addr+"/nextcloud", asked) {
		t.Fatal("no TLS asked for without ssl-mode: a server requiring secure transport would refuse the login")
	}
	addr, asked = fakeMySQL(t)
	if askedForTLS(t, "mysql://nc:pw@"+addr+"/nextcloud?ssl-mode=disabled", asked) {
		t.Fatal("TLS asked for with ssl-mode=disabled")
	}
}
