package sms

import (
	"encoding/base64"
	"errors"

	"github.com/oxywatch/oxywatch/alerting/notify/internal/httpx"
)

func basicAuth(user, pass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func asStatus(err error, se **httpx.StatusError) bool {
	return err != nil && errors.As(err, se)
}
