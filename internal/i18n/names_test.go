package i18n

import "testing"

// TestParseName: kinds and statuses written in any of the three languages,
// any case, with or without accents, read as their codes; other words do not.
func TestParseName(t *testing.T) {
	kinds := []string{"psa", "concentrator", "lox_tank", "cylinder_bank", "unknown"}
	for word, want := range map[string]string{
		"psa": "psa", "PSA": "psa", "usine PSA": "psa", "Centrale PSA": "psa", "central psa": "psa", "psa plant": "psa",
		"concentrateur": "concentrator", "CONCENTRADOR": "concentrator", "Concentrator": "concentrator",
		"lox_tank": "lox_tank", "LOX tank": "lox_tank", "réservoir d’oxygène liquide": "lox_tank", "Reservoir d'oxygene liquide": "lox_tank",
		"tanque de oxigénio líquido": "lox_tank", "rampe de bouteilles": "cylinder_bank", "Bateria de cilindros": "cylinder_bank",
		"cylinder-bank": "cylinder_bank", "  cylinder   bank ": "cylinder_bank", "inconnu": "unknown",
	} {
		if got, ok := ParseName("kind", word, kinds); !ok || got != want {
			t.Errorf("kind %q: got %q %v, want %q", word, got, ok, want)
		}
	}
	for _, word := range []string{"rocket", "", "concentrateurs", "psa2", "bouteille de gaz"} {
		if got, ok := ParseName("kind", word, kinds); ok {
			t.Errorf("kind %q: read as %q, want refused", word, got)
		}
	}
	statuses := []string{"operational", "degraded", "down", "maintenance", "no_data"}
	for word, want := range map[string]string{
		"opérationnel": "operational", "Operacional": "operational", "dégradé": "degraded", "DEGRADADO": "degraded",
		"à l’arrêt": "down", "a l'arret": "down", "Parado": "down", "en maintenance": "maintenance", "sans données": "no_data",
		"sem dados": "no_data", "No data": "no_data", "no_data": "no_data",
	} {
		if got, ok := ParseName("status", word, statuses); !ok || got != want {
			t.Errorf("status %q: got %q %v, want %q", word, got, ok, want)
		}
	}
	if got := New(French).Names("kind", kinds[:2]); got[0] != "centrale PSA" || got[1] != "concentrateur" {
		t.Errorf("French names: %q", got)
	}
}
