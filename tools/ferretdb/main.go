// Command ferretdb runs the embedded MongoDB-compatible server (FerretDB v1, SQLite backend)
// that development and tests use in place of MongoDB 7. Production uses real MongoDB.
//
// Usage: ferretdb -listen 127.0.0.1:27017 -data .data/ferretdb
//
// FerretDB v1.24's SQLite backend looks documents up by _id with the expression
// `_ferretdb_sjson->'$._id'`, but indexes _id as `_ferretdb_sjson->"_id"`; SQLite uses an index
// only for the same expression, so every read or write by _id scanned its table (0.3-2 s among
// 24,400 documents, docs/benchmarks.md). indexIDLookups adds, beside FerretDB, a plain index
// on the expression its queries use, to every collection table of every database file, every
// two seconds (new collections appear at run time). FerretDB itself is unchanged: the extra
// index is invisible to it (not in its metadata) and is dropped with its table.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	_ "modernc.org/sqlite"
)

const idExpr = `_ferretdb_sjson->'$._id'`

func indexIDLookups(ctx context.Context, dir string) {
	for ctx.Err() == nil {
		files, _ := filepath.Glob(filepath.Join(dir, "*.sqlite"))
		for _, file := range files {
			if err := indexFile(ctx, file); err != nil && ctx.Err() == nil {
				log.Printf("id index: %s: %v", filepath.Base(file), err)
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
}

func indexFile(ctx context.Context, file string) error {
	db, err := sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	// a read only; tables dropped and created again under the same name lose the index
	rows, err := db.QueryContext(ctx, `SELECT c.table_name FROM _ferretdb_collections c
		WHERE NOT EXISTS (SELECT 1 FROM sqlite_master m
		                  WHERE m.type = 'index' AND m.name = c.table_name || '_id_lookup')`)
	if err != nil {
		return nil // a database file FerretDB is still creating
	}
	var tables []string
	for rows.Next() {
		var t string
		if rows.Scan(&t) == nil {
			tables = append(tables, t)
		}
	}
	rows.Close()
	for _, t := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (%s)`, t+"_id_lookup", t, idExpr)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return err // e.g. the table was dropped meanwhile: next round
		}
	}
	return nil
}

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	data := flag.String("data", ".data/ferretdb", "directory for the SQLite files")
	flag.Parse()

	dir, err := filepath.Abs(*data)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		log.Fatal(err)
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
	})
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go indexIDLookups(ctx, dir)
	log.Printf("ferretdb listening on %s, data in %s", *listen, dir)
	if err := f.Run(ctx); err != nil && ctx.Err() == nil {
		log.Fatal(err)
	}
}
