package world

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/notifypush/notify_push/adapters/gormdb"
)

// The world the servers run against: users user0 … user(N-1) with password
// passK, each with a home storage, and one storage shared with the first
// fan-out users.
const (
	TablePrefix = "oc_"
	// sharedStorage is the storage every fan-out user mounts whole.
	SharedStorage = 1_000_000
	// maxUsers keeps home storage ids (user+1) below sharedStorage.
	MaxUsers = SharedStorage - 1
)

// homeStorage is the storage id of user's home.
func HomeStorage(user int) int { return user + 1 }

// seedDatabase creates a SQLite database at path with Nextcloud's tables
// holding users homes and the shared storage mounted by users 0 to fanout-1.
func SeedDatabase(ctx context.Context, path string, users, fanout int) error {
	if users < 1 || users > MaxUsers || fanout < 0 || fanout > users {
		return fmt.Errorf("seed %d users, %d sharing: want 1-%d users and at most as many sharing", users, fanout, MaxUsers)
	}
	db, closeDB, err := gormdb.Open(ctx, "sqlite://"+path, nil)
	if err != nil {
		return err
	}
	defer closeDB()
	if err := gormdb.CreateNextcloudSchema(ctx, db, TablePrefix); err != nil {
		return err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("seed database: %w", err)
	}
	tx, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("seed database: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	rootHash := pathHash("")
	// Multi-row inserts: one statement per 500 rows keeps seeding 20,000
	// users under a second.
	const batch = 500
	insert := func(head string, rows int, placeholders string, args func(i int) []any) error {
		for from := 0; from < rows; from += batch {
			n := min(batch, rows-from)
			var q strings.Builder
			q.WriteString(head)
			vals := make([]any, 0, n*strings.Count(placeholders, "?"))
			for i := range n {
				if i > 0 {
					q.WriteByte(',')
				}
				q.WriteString(placeholders)
				vals = append(vals, args(from+i)...)
			}
			if _, err := tx.ExecContext(ctx, q.String(), vals...); err != nil {
				return fmt.Errorf("seed database: %w", err)
			}
		}
		return nil
	}
	// Home roots have file id = storage id; the shared root is sharedStorage.
	err = insert("INSERT INTO "+TablePrefix+"filecache (fileid, storage, path, path_hash, parent, name, permissions) VALUES ",
		users+1, "(?, ?, '', ?, -1, '', 31)", func(i int) []any {
			if i == users {
				return []any{SharedStorage, SharedStorage, rootHash}
			}
			return []any{HomeStorage(i), HomeStorage(i), rootHash}
		})
	if err != nil {
		return err
	}
	err = insert("INSERT INTO "+TablePrefix+"mounts (storage_id, root_id, user_id, mount_point, mount_provider_class) VALUES ",
		users+fanout, "(?, ?, ?, ?, ?)", func(i int) []any {
			if i < users {
				u := "user" + strconv.Itoa(i)
				return []any{HomeStorage(i), HomeStorage(i), u, "/" + u + "/", `OC\Files\Mount\LocalHomeMountProvider`}
			}
			u := "user" + strconv.Itoa(i-users)
			return []any{SharedStorage, SharedStorage, u, "/" + u + "/files/Shared/", `OCA\Files_Sharing\MountProvider`}
		})
	if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("seed database: %w", err)
	}
	return nil
}

// pathHash is Nextcloud's filecache path_hash: the hex MD5 of the path.
func pathHash(p string) string {
	sum := md5.Sum([]byte(p))
	return hex.EncodeToString(sum[:])
}

// userOf reads the number out of "userN", or -1.
func UserOf(login string) int {
	digits, ok := strings.CutPrefix(login, "user")
	if !ok || digits == "" || (len(digits) > 1 && digits[0] == '0') {
		return -1
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// fakeNextcloud answers the two routes of the notify_push app the server
// calls: the credential check (userN / passN is right) and the version check.
type Nextcloud struct {
	srv       *http.Server
	ln        net.Listener
	onVersion func(ctx context.Context) error
	Logins    atomic.Uint64
	refused   atomic.Uint64
	done      chan struct{}
}

func StartNextcloud(onVersion func(ctx context.Context) error) (*Nextcloud, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fake Nextcloud: %w", err)
	}
	f := &Nextcloud{ln: ln, onVersion: onVersion, done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /index.php/apps/notify_push/uid", f.uid)
	mux.HandleFunc("GET /index.php/apps/notify_push/test/version", f.version)
	f.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(f.done)
		_ = f.srv.Serve(ln) // ends with ErrServerClosed at Close
	}()
	return f, nil
}

// URL is the base URL to give the server as NEXTCLOUD_URL.
func (f *Nextcloud) URL() string { return "http://" + f.ln.Addr().String() + "/" }

func (f *Nextcloud) uid(w http.ResponseWriter, r *http.Request) {
	login, password, ok := r.BasicAuth()
	if n := UserOf(login); !ok || n < 0 || password != "pass"+strconv.Itoa(n) {
		f.refused.Add(1)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	f.Logins.Add(1)
	_, _ = w.Write([]byte(login))
}

func (f *Nextcloud) version(w http.ResponseWriter, r *http.Request) {
	if f.onVersion != nil {
		if err := f.onVersion(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

func (f *Nextcloud) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = f.srv.Shutdown(ctx)
	_ = f.srv.Close()
	<-f.done
}
