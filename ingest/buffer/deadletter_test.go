package buffer

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestDeadLetterFileFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), DeadLetterFile)
	dls := []DeadLetter{
		{Line: "m v=1 1", Reason: "parse_error", Detail: "400 bad\nline", At: t0},
		{Line: "m v=2 2", Reason: "parse_error", Detail: "400 bad\nline", At: t0},
		{Line: "m v=3 3", Reason: "beyond_retention", Detail: "partial write: points beyond retention policy dropped=1", At: t0},
	}
	if err := AppendDeadLetters(path, dls); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	want := "# 2026-11-23T08:00:00Z refused (parse_error): 400 bad line\nm v=1 1\nm v=2 2\n" +
		"# 2026-11-23T08:00:00Z refused (beyond_retention): partial write: points beyond retention policy dropped=1\nm v=3 3\n"
	if string(b) != want {
		t.Errorf("file:\n%s\nwant:\n%s", b, want)
	}
	got, err := ReadDeadLetters(path)
	if err != nil {
		t.Fatal(err)
	}
	dls[0].Detail, dls[1].Detail = "400 bad line", "400 bad line"
	if !reflect.DeepEqual(got, dls) {
		t.Errorf("read back got %+v, want %+v", got, dls)
	}
}

// Files written before reasons were named, and comments an operator adds,
// are read too.
func TestReadOlderDeadLetterFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), DeadLetterFile)
	body := "# 2026-11-23T08:00:00Z refused: influxdb write: 400 partial write: x (y): z dropped=1\nm v=1 1\r\n\n" +
		"# fixed the type by hand\nm v=2 2\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := ReadDeadLetters(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []DeadLetter{
		{Line: "m v=1 1", Detail: "influxdb write: 400 partial write: x (y): z dropped=1", At: t0},
		{Line: "m v=2 2", Detail: "fixed the type by hand"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if dls, err := ReadDeadLetters(filepath.Join(t.TempDir(), "missing.lp")); err != nil || len(dls) != 0 {
		t.Errorf("missing file: got %v, %v; want no lines and no error", dls, err)
	}
}

// A replay rewrites its own part of the file and keeps what the sender
// appends meanwhile; one replay at a time; an emptied file is removed.
func TestReplayKeepsWhatTheSenderAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), DeadLetterFile)
	old := []DeadLetter{{Line: "m v=1 1", Reason: "a", At: t0}, {Line: "m v=2 2", Reason: "a", At: t0}}
	if err := AppendDeadLetters(path, old); err != nil {
		t.Fatal(err)
	}
	r, got, err := StartReplay(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, old) {
		t.Errorf("StartReplay lines got %+v, want %+v", got, old)
	}
	if _, _, err := StartReplay(path); !errors.Is(err, ErrReplayRunning) {
		t.Errorf("second StartReplay: got %v, want ErrReplayRunning", err)
	}
	fresh := []DeadLetter{{Line: "m v=9 9", Reason: "b", At: t0}}
	if err := AppendDeadLetters(path, fresh); err != nil { // the sender, during the replay
		t.Fatal(err)
	}
	if err := r.Keep(old[1:]); err != nil {
		t.Fatal(err)
	}
	if got, _ := ReadDeadLetters(path); !reflect.DeepEqual(got, append(old[1:2:2], fresh...)) {
		t.Errorf("after Keep: got %v, want line 2 then the sender's line 9", got)
	}
	if err := r.Keep(nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := ReadDeadLetters(path); !reflect.DeepEqual(got, fresh) {
		t.Errorf("after Keep(nil): got %v, want only the sender's line", got)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	r, _, err = StartReplay(path)
	if err != nil {
		t.Fatalf("StartReplay after Close: %v", err)
	}
	defer r.Close()
	if err := r.Keep(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an emptied dead-letter file is still there: %v", err)
	}
}

// A file changed by hand during a replay is left alone.
func TestReplayLeavesAFileEditedMeanwhile(t *testing.T) {
	path := filepath.Join(t.TempDir(), DeadLetterFile)
	if err := AppendDeadLetters(path, []DeadLetter{{Line: "m v=1 1"}, {Line: "m v=2 2"}}); err != nil {
		t.Fatal(err)
	}
	r, _, err := StartReplay(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	edited := "# refused: x\nm v=2 2\n"
	if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := r.Keep(nil); err == nil {
		t.Error("Keep rewrote a file edited during the replay")
	}
	if b, _ := os.ReadFile(path); string(b) != edited {
		t.Errorf("file is now %q, want the edit kept", b)
	}
}
