package i18n

import (
	"errors"
	"fmt"
	"strings"
)

// Message is a catalogue message and its arguments, said in a language
// when it is printed. Arguments with an In(Lang) string method (a Message,
// a report period) and Errors are said in the same language.
type Message struct {
	Key  string
	Args []any
}

// Msg returns the message key with args.
func Msg(key string, args ...any) Message { return Message{Key: key, Args: args} }

// In says the message in l.
func (m Message) In(l Lang) string {
	args := make([]any, len(m.Args))
	for i, a := range m.Args {
		switch v := a.(type) {
		case interface{ In(Lang) string }:
			a = v.In(l)
		case error:
			a = Text(v, l)
		}
		args[i] = a
	}
	return New(l).T(m.Key, args...)
}

// Error is an error whose text is a catalogue message, so that a command
// line or an API can say it in its reader's language. Error() is English;
// In says it in another language. Errors among the arguments are wrapped
// (errors.Is and errors.As see them) and said in the same language when
// they are Errors too.
type Error struct {
	Key  string
	Args []any
	kind error // a sentinel errors.Is finds; its text is not shown
}

// Errorf returns the error the message key says with args.
func Errorf(key string, args ...any) error { return &Error{Key: key, Args: args} }

// Wrap is Errorf with a sentinel that errors.Is finds but the text does not
// show (a usage error, "not found").
func Wrap(sentinel error, key string, args ...any) error {
	return &Error{Key: key, Args: args, kind: sentinel}
}

// WithKind is err with sentinel for errors.Is to find: an Error keeps its
// words (said in the reader's language); any other error is wrapped.
func WithKind(sentinel, err error) error {
	if e, ok := err.(*Error); ok {
		return &Error{Key: e.Key, Args: e.Args, kind: sentinel}
	}
	return fmt.Errorf("%w: %w", sentinel, err)
}

func (e *Error) Error() string { return e.In(English) }

// In says the error in l.
func (e *Error) In(l Lang) string { return Message{Key: e.Key, Args: e.Args}.In(l) }

// Unwrap returns the sentinel and the errors among the arguments.
func (e *Error) Unwrap() []error {
	var out []error
	if e.kind != nil {
		out = append(out, e.kind)
	}
	for _, a := range e.Args {
		if err, ok := a.(error); ok {
			out = append(out, err)
		}
	}
	return out
}

// Text is err's text in l: an Error in l, errors.Join's parts each in l,
// and any other error as it says itself (English).
func Text(err error, l Lang) string {
	if err == nil {
		return ""
	}
	if x, ok := err.(interface{ In(Lang) string }); ok {
		return x.In(l) // an Error, a FieldError
	}
	if k, ok := err.(interface {
		Parts() (key, format string, args []any)
	}); ok {
		// A package that cannot import this one (internal/config): its
		// English format is the catalogue key.
		key, format, args := k.Parts()
		return key + ": " + New(l).T(format, args...)
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok && isJoin(err) {
		var parts []string
		for _, p := range j.Unwrap() {
			parts = append(parts, Text(p, l))
		}
		return strings.Join(parts, "\n")
	}
	return err.Error()
}

// isJoin reports whether err is what errors.Join returns.
func isJoin(err error) bool {
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return false
	}
	parts := j.Unwrap()
	var texts []string
	for _, p := range parts {
		texts = append(texts, p.Error())
	}
	return len(parts) > 0 && err.Error() == strings.Join(texts, "\n")
}

// FromEnv is the language a person at a terminal reads, from the
// environment: OXYWATCH_LANG, else the first of LC_ALL, LC_MESSAGES and
// LANG that is set ("fr_FR.UTF-8" is French). "" when none names one of
// our languages ("C", "POSIX", "de_DE"): the caller falls back to the
// deployment's language (notify.language), then English.
func FromEnv(getenv func(string) string) Lang {
	if l, err := Parse(getenv("OXYWATCH_LANG")); err == nil && l != "" {
		return l
	}
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := getenv(name)
		if v == "" {
			continue
		}
		l, _ := Parse(posixLocale(v))
		return l // the first one set decides, as POSIX says
	}
	return ""
}

// posixLocale turns a POSIX locale ("pt_BR.UTF-8@euro") into a BCP 47
// tag ("pt-BR"); "C" and "POSIX" are "".
func posixLocale(v string) string {
	v, _, _ = strings.Cut(v, ".")
	v, _, _ = strings.Cut(v, "@")
	if v == "C" || v == "POSIX" {
		return ""
	}
	return strings.ReplaceAll(v, "_", "-")
}

// FieldError is an error about one input field (a JSON field, a CSV
// column): the API answers Field beside Err's text and code, a command
// line prints "field: text". Err is said in the reader's language when it
// is an Error.
type FieldError struct {
	Field string
	Err   error
}

// Field returns err about field; key and args make it with Errorf.
func Field(field, key string, args ...any) error {
	return &FieldError{Field: field, Err: Errorf(key, args...)}
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// In says the error in l, its field first.
func (e *FieldError) In(l Lang) string { return e.Field + ": " + Text(e.Err, l) }

func (e *FieldError) Unwrap() error { return e.Err }

// Fields lists the FieldErrors in err's tree (errors.Join's parts, wrapped
// ones), in order.
func Fields(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(err error) {
		if fe, ok := err.(*FieldError); ok {
			out = append(out, fe)
			return
		}
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			if _, isErr := err.(*Error); isErr {
				return // an Error's arguments are its words, not fields
			}
			for _, p := range u.Unwrap() {
				walk(p)
			}
		case interface{ Unwrap() error }:
			if p := u.Unwrap(); p != nil {
				walk(p)
			}
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}

// ErrCode is the stable machine code of err: the second part of the first
// Error's key in its tree ("field.too_long.note" → "too_long",
// "api.bad_role" → "bad_role"), or "" when it has none.
func ErrCode(err error) string {
	var e *Error
	if !errors.As(err, &e) {
		return ""
	}
	return KeyCode(e.Key)
}

// KeyCode is the code of a catalogue key: its second dotted part.
func KeyCode(key string) string {
	_, rest, ok := strings.Cut(key, ".")
	if !ok {
		return key
	}
	code, _, _ := strings.Cut(rest, ".")
	return code
}
