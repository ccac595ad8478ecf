package domain

// UserID is a Nextcloud user id (the uid, not the login name). Any UTF-8 string.
type UserID string

// StorageID is Nextcloud's numeric storage id (oc_storages.numeric_id).
type StorageID uint32

// FileID is Nextcloud's file id (oc_filecache.fileid).
type FileID uint64

// MaxConnectionsPerUser bounds the connections one user may hold at once.
const MaxConnectionsPerUser = 64
