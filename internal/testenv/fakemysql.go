package testenv

import (
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"
)

// FakeMySQL greets its first client as a MySQL server that offers TLS and
// reports whether the client's first answer asked to switch to TLS, which
// is what a server with require_secure_transport=ON insists on.
func FakeMySQL(t *testing.T) (addr string, askedTLS <-chan bool) {
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
