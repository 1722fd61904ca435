package main

import (
	"errors"
	"flag"
	"io"
	"regexp"
	"strconv"

	"github.com/oxywatch/oxywatch/internal/i18n"
)

// parseFlags parses args into fs as every command does: Go's flag package
// writes nothing itself (its texts are English), -h and --help print fs's
// usage and return flag.ErrHelp, and an error prints the usage and comes
// back said in the reader's language (flagError).
func (c *cmdline) parseFlags(fs *flag.FlagSet, args []string) error {
	usage := fs.Usage
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // flag calls it on every error; we choose when
	err := fs.Parse(args)
	fs.Usage = usage
	if err == nil {
		return nil
	}
	usage()
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return flagError(err)
}

// flagsUsage prints fs's flags, for a command whose help is only them.
func (c *cmdline) flagsUsage(fs *flag.FlagSet) {
	c.say(c.stderr, "cli.flags")
	c.printDefaults(c.stderr, fs)
}

// flagKinds name the kinds of value flag.UnquoteUsage gives a flag.
var flagKinds = map[string]string{"string": "cli.flagkind.string", "int": "cli.flagkind.int",
	"uint": "cli.flagkind.int", "float": "cli.flagkind.float", "duration": "cli.flagkind.duration", "value": "cli.flagkind.value"}

// flagKind is the kind of a flag's value in the reader's words ("texte");
// a name the usage gives in back quotes stays as it is.
func (c *cmdline) flagKind(kind string) string {
	if key, ok := flagKinds[kind]; ok {
		return c.t(key)
	}
	return kind
}

// flagErrors read the errors of Go's flag package, whose texts are stable
// (flag.go's failf formats), into catalogue keys; the submatches are the
// message's arguments.
var flagErrors = []struct {
	re  *regexp.Regexp
	key string
}{
	{regexp.MustCompile(`^flag provided but not defined: -(.*)$`), "cli.flagerr.undefined"},
	{regexp.MustCompile(`^flag needs an argument: -(.*)$`), "cli.flagerr.needs_arg"},
	{regexp.MustCompile(`^bad flag syntax: (.*)$`), "cli.flagerr.syntax"},
	{regexp.MustCompile(`^invalid boolean value (".*") for -([^:]*): (.*)$`), "cli.flagerr.bad_bool"},
	{regexp.MustCompile(`^invalid value (".*") for flag -([^:]*): (.*)$`), "cli.flagerr.bad_value"},
	{regexp.MustCompile(`^invalid boolean flag ([^:]*): (.*)$`), "cli.flagerr.bad_bool_flag"},
}

// flagReasons are the reasons flag gives for a value its type cannot take.
var flagReasons = map[string]string{"parse error": "cli.flagerr.parse", "value out of range": "cli.flagerr.range"}

// flagError is err, an error of flag.FlagSet.Parse, as a catalogue error;
// one it does not know stays as it is.
func flagError(err error) error {
	for _, f := range flagErrors {
		m := f.re.FindStringSubmatch(err.Error())
		if m == nil {
			continue
		}
		args := make([]any, len(m)-1)
		for i, a := range m[1:] {
			if u, uerr := strconv.Unquote(a); uerr == nil && len(a) > 1 && a[0] == '"' {
				a = u // the value flag quoted; the catalogue quotes it again
			}
			if key, ok := flagReasons[a]; ok && i == len(m)-2 {
				args[i] = i18n.Msg(key)
				continue
			}
			args[i] = a
		}
		return i18n.Errorf(f.key, args...)
	}
	return err
}
