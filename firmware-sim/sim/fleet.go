package sim

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var deviceIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// errNoModel marks an inventory row of a kind the simulator has no model
// for (cylinder_bank, unknown): ReadFleet skips it.
var errNoModel = errors.New("no model for this kind")

// ReadFleet reads a CSV inventory with a header row. Columns are named like
// the device fields of the API import: id, kind, model, facility, region,
// country, rated_flow_lpm, report_interval_s; optional password, booster
// and generator (true/false). Unknown columns are ignored, so an OxyWatch
// export reads too. Rows of kind cylinder_bank, unknown or empty are skipped
// (their ids are returned): the simulator has no model for them. Other
// kinds are an error.
func ReadFleet(r io.Reader) (fleet []Spec, skipped []string, err error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	header, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("read header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, need := range []string{"id", "kind"} {
		if _, ok := col[need]; !ok {
			return nil, nil, fmt.Errorf("header has no %q column", need)
		}
	}
	seen := map[string]bool{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read row: %w", err)
		}
		line, _ := cr.FieldPos(0)
		spec, err := specFromRow(col, rec)
		switch {
		case errors.Is(err, errNoModel):
			skipped = append(skipped, spec.ID)
			continue
		case err != nil:
			return nil, nil, fmt.Errorf("line %d: %w", line, err)
		case seen[spec.ID]:
			return nil, nil, fmt.Errorf("line %d: device %s appears twice", line, spec.ID)
		}
		seen[spec.ID] = true
		fleet = append(fleet, spec)
	}
	if len(fleet) == 0 {
		return nil, skipped, fmt.Errorf("fleet has no devices the simulator can model")
	}
	return fleet, skipped, nil
}

func specFromRow(col map[string]int, rec []string) (Spec, error) {
	get := func(name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	s := Spec{ID: get("id"), Kind: get("kind"), Model: get("model"), Facility: get("facility"),
		Region: get("region"), Country: get("country"), Password: get("password")}
	if !deviceIDPattern.MatchString(s.ID) {
		return s, fmt.Errorf("id %q must match %s", s.ID, deviceIDPattern)
	}
	s.Kind = strings.ToLower(s.Kind)
	switch s.Kind {
	case KindPSA, KindConcentrator, KindLOXTank:
	case "", "unknown", "cylinder_bank":
		return s, errNoModel
	default:
		return s, fmt.Errorf("device %s: kind %q has no model here (want psa, concentrator or lox_tank)", s.ID, s.Kind)
	}
	var err error
	if s.RatedFlowLPM, err = parseFloat(get("rated_flow_lpm"), defaultRated(s.Kind)); err != nil || s.RatedFlowLPM < 0 {
		return s, fmt.Errorf("device %s: rated_flow_lpm %q is not a positive number", s.ID, get("rated_flow_lpm"))
	}
	iv, err := parseFloat(get("report_interval_s"), 0)
	if err != nil || iv < 0 {
		return s, fmt.Errorf("device %s: report_interval_s %q is not a number of seconds", s.ID, get("report_interval_s"))
	}
	if s.RatedFlowLPM == 0 {
		s.RatedFlowLPM = defaultRated(s.Kind) // an export writes 0 for "not known"
	}
	s.ReportInterval = time.Duration(iv * float64(time.Second))
	s.Booster = parseBool(get("booster"), s.Kind == KindPSA && s.RatedFlowLPM >= 400)
	s.Generator = parseBool(get("generator"), s.Kind != KindConcentrator)
	return s, nil
}

func parseFloat(s string, def float64) (float64, error) {
	if s == "" {
		return def, nil
	}
	return strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
}

func parseBool(s string, def bool) bool {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return def
	}
	return b
}

func defaultRated(kind string) float64 {
	switch kind {
	case KindPSA:
		return 500
	case KindLOXTank:
		return 1000
	}
	return 5
}

// WriteFleet writes a fleet as CSV with the inventory columns.
func WriteFleet(w io.Writer, fleet []Spec) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "kind", "model", "facility", "region", "country", "rated_flow_lpm", "report_interval_s", "booster", "generator"})
	for _, s := range fleet {
		cw.Write([]string{s.ID, s.Kind, s.Model, s.Facility, s.Region, s.Country,
			strconv.FormatFloat(s.RatedFlowLPM, 'f', -1, 64), strconv.Itoa(int(s.ReportInterval / time.Second)),
			strconv.FormatBool(s.Booster), strconv.FormatBool(s.Generator)})
	}
	cw.Flush()
	return cw.Error()
}

var (
	towns = []string{"zomba", "mzuzu", "lilongwe", "blantyre", "kasungu", "mangochi", "salima", "dedza",
		"karonga", "nkhotakota", "balaka", "chitipa", "mchinji", "ntcheu", "rumphi", "thyolo",
		"mulanje", "machinga", "dowa", "nsanje"}
	regions   = []string{"north", "central", "south", "east"}
	psaModels = []struct {
		model string
		lpm   float64
	}{{"OG-15", 250}, {"PSA-30", 500}, {"PSA-40", 667}, {"PIB-500", 500}}
	concModels = []struct {
		model string
		lpm   float64
	}{{"Nuvo 8", 8}, {"DeVilbiss 525", 5}, {"Perfecto2", 5}, {"EverFlo", 5}, {"Longfian JAY-10", 10}}
)

// GenerateFleet makes n devices over facilities and regions: about one
// facility in two has a PSA plant, every facility 3 to 10 concentrators,
// and the regional hospitals a liquid oxygen tank. facilities 0 lets the
// fleet size decide.
func GenerateFleet(n, facilities int, seed uint64, interval time.Duration) []Spec {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	if facilities <= 0 {
		facilities = max(1, n/7)
	}
	var fleet []Spec
	count := map[string]int{}
	add := func(s Spec) {
		if len(fleet) < n {
			count[s.Kind]++
			s.ID = fmt.Sprintf("%s-%03d", idPrefix(s.Kind), count[s.Kind])
			s.ReportInterval = interval
			fleet = append(fleet, s)
		}
	}
	for f := 0; len(fleet) < n; f++ {
		first := f < facilities // later rounds add concentrators only
		base := Spec{Facility: facilityName(f % facilities), Region: regions[f%facilities%len(regions)], Country: "MW"}
		base.Generator = (f%facilities)*7%10 < 6 // six facilities in ten
		if first && f%2 == 0 {
			m := psaModels[rng.IntN(len(psaModels))]
			add(withModel(base, KindPSA, m.model, m.lpm, rng.Float64() < 0.6))
		}
		if first && f < 2*len(regions) && f%2 == 1 {
			add(withModel(base, KindLOXTank, "VIE-6000", 1000, false))
		}
		for range 3 + rng.IntN(8) {
			m := concModels[rng.IntN(len(concModels))]
			c := withModel(base, KindConcentrator, m.model, m.lpm, false)
			c.NoRTC = rng.Float64() < 0.3
			add(c)
		}
	}
	return fleet
}

func withModel(base Spec, kind, model string, lpm float64, booster bool) Spec {
	base.Kind, base.Model, base.RatedFlowLPM, base.Booster = kind, model, lpm, booster
	return base
}

func idPrefix(kind string) string {
	switch kind {
	case KindPSA:
		return "psa"
	case KindLOXTank:
		return "lox"
	}
	return "conc"
}

func facilityName(i int) string {
	suffix := []string{"dh", "ch", "hc", "mh"}[(i/len(towns))%4]
	name := towns[i%len(towns)] + "-" + suffix
	if n := i / (len(towns) * 4); n > 0 {
		name += strconv.Itoa(n + 1)
	}
	return name
}
