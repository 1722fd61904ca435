package notify

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/oxywatch/oxywatch/internal/config"
)

func TestSendersFromConfig(t *testing.T) {
	cfg, _, err := config.Load("../../internal/config/testdata/good/notify-full.yaml",
		[]string{"OXYWATCH_NOTIFY_SMS_AFRICASTALKING_API_KEY=from-env"})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan http.Header, 1)
	var form url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		form, _ = url.ParseQuery(string(b))
		got <- r.Header.Clone()
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"SMSMessageData":{"Recipients":[{"statusCode":101,"status":"Success"}]}}`)
	}))
	defer srv.Close()
	cfg.Notify.SMS.AfricasTalking.URL = srv.URL
	senders, err := SendersFromConfig(cfg.Notify, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range []Channel{SMS, Email, Webhook} {
		if senders[ch] == nil {
			t.Errorf("no %s sender", ch)
		}
	}
	if err := senders[SMS].Send(context.Background(), Message{To: "+256772000111", Text: "hi", Key: "k"}); err != nil {
		t.Fatal(err)
	}
	if h := <-got; h.Get("apiKey") != "from-env" || form.Get("username") != "sandbox" || form.Get("from") != "OXYWATCH" {
		t.Errorf("got apiKey %q form %v, want the key from the environment", h.Get("apiKey"), form)
	}

	none, err := SendersFromConfig(config.Defaults().Notify, nil)
	if err != nil || len(none) != 0 {
		t.Errorf("defaults got %v %v, want no senders", none, err)
	}
}
