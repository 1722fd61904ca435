package api

import (
	"net/http"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/oxywatch/oxywatch/internal/i18n"
	"github.com/oxywatch/oxywatch/internal/plant"
	"github.com/oxywatch/oxywatch/internal/store"
)

// op describes one operation for the OpenAPI document. The list is written
// by hand, apart from the router; TestOpenAPIDescribesEveryRoute keeps the
// two in step.
type op struct {
	method, path, summary string
	role                  Role // "" = no token needed
	query                 []string
	body                  any // request body type (nil: none); string "text/csv" for CSV
	answer                any // 2xx body type; nil: 204; string for a media type
	status                int
	list                  bool // answer is {"items": [answer...], "next"}
	deviceToken           bool // authenticated by a device token, not an API token
}

var pageQuery = []string{"limit", "cursor"}

func operations() []op {
	dev, fac, alert := plant.Device{}, plant.Facility{}, plant.Alert{}
	return []op{
		{method: "GET", path: "/healthz", summary: "Liveness probe", answer: map[string]string{}},
		{method: "GET", path: "/readyz", summary: "Readiness: broker connected and store writable (503 otherwise)", answer: map[string]string{}},
		{method: "GET", path: "/metrics", summary: "Prometheus metrics, all prefixed oxywatch_", answer: "text/plain"},
		{method: "GET", path: "/api/v1/me", summary: "The calling token's role and regions", role: RoleViewer, answer: Me{}},
		{method: "GET", path: "/api/v1/settings", summary: "The deployment's time zone (report.time_zone) and default language (notify.language)", role: RoleViewer, answer: Settings{}},
		{method: "GET", path: "/api/v1/openapi.json", summary: "This document", role: RoleViewer, answer: map[string]any{}},
		{method: "GET", path: "/api/v1/devices", summary: "Devices with live status; format=csv exports every match without paging", role: RoleViewer,
			query: append([]string{"region", "facility", "country", "kind", "status", "format"}, pageQuery...), answer: dev, list: true},
		{method: "POST", path: "/api/v1/devices/import", summary: "Import a CSV inventory (header row; columns id, kind, model, facility, region, country, rated_flow_lpm, report_interval_s, beds, commissioned_at, decommissioned_at, sms_number, use, measurement_point); bad rows are reported, good rows kept; columns the file lacks keep their stored values", role: RoleAdmin, body: "text/csv", answer: ImportResult{}},
		{method: "GET", path: "/api/v1/devices/{id}", summary: "One device", role: RoleViewer, answer: dev},
		{method: "PUT", path: "/api/v1/devices/{id}", summary: "Create (201) or replace (200) a device", role: RoleAdmin, body: dev, answer: dev},
		{method: "DELETE", path: "/api/v1/devices/{id}", summary: "Remove a device from the registry (its history stays)", role: RoleAdmin, status: 204},
		{method: "GET", path: "/api/v1/devices/{id}/readings", summary: "History from InfluxDB, mean per window `every` (default about 300 points)", role: RoleViewer,
			query: []string{"from", "to", "every"}, answer: ReadingsAnswer{}},
		{method: "GET", path: "/api/v1/devices/{id}/limits", summary: "The alert limits the alerting engine applies to the device: each value rule that is on (level, clear level, severity, for) and the service intervals, from the built-in defaults with the rules file's settings, kind and model overrides, the threshold sets of the device's measurement point and use, and its device override; overload is in % of the rated flow", role: RoleViewer, answer: DeviceLimits{}},
		{method: "POST", path: "/api/v1/devices/{id}/maintenance", summary: "Log a service; resets that component's maintenance clock", role: RoleEngineer, body: ServiceRequest{}, answer: plant.ServiceRecord{}, status: 201},
		{method: "GET", path: "/api/v1/devices/{id}/functional", summary: "Functional statuses recorded by hand, newest first", role: RoleViewer, query: pageQuery, answer: plant.FunctionalRecord{}, list: true},
		{method: "POST", path: "/api/v1/devices/{id}/functional", summary: "Record a functional status (functional, non_functional, under_repair) found on a date, e.g. for a device without telemetry; reports count such a device by its last one, marked reported", role: RoleEngineer, body: FunctionalRequest{}, answer: plant.FunctionalRecord{}, status: 201},
		{method: "GET", path: "/api/v1/devices/{id}/stock", summary: "Stock counts of a LOX tank or cylinder bank, newest first", role: RoleViewer, query: pageQuery, answer: plant.StockRecord{}, list: true},
		{method: "POST", path: "/api/v1/devices/{id}/stock", summary: "Record the stock of a LOX tank or cylinder bank (litres of gas, or large cylinders of 6,800 L); reports give days of autonomy from it", role: RoleEngineer, body: StockRequest{}, answer: plant.StockRecord{}, status: 201},
		{method: "GET", path: "/api/v1/maintenance/due", summary: "Components at or near their service interval", role: RoleViewer,
			query: append([]string{"region", "facility", "device"}, pageQuery...), answer: MaintenanceDue{}, list: true},
		{method: "GET", path: "/api/v1/facilities", summary: "Facilities (format=csv for a spreadsheet the import takes back)", role: RoleViewer, query: append([]string{"region", "country", "format"}, pageQuery...), answer: fac, list: true},
		{method: "POST", path: "/api/v1/maintenance/import", summary: "Import service history from CSV (columns id (the device), component, done_at, runtime_h, note, by), one service record a row, as POST /api/v1/devices/{id}/maintenance; bad rows are reported, good rows kept", role: RoleEngineer, body: "text/csv", answer: ImportResult{}},
		{method: "POST", path: "/api/v1/facilities/import", summary: "Import facilities from CSV (the columns of GET /api/v1/facilities?format=csv: id, name, region, country, beds, demand_lpm, …); bad rows are reported, good rows kept; columns the file lacks keep their stored values", role: RoleAdmin, body: "text/csv", answer: ImportResult{}},
		{method: "GET", path: "/api/v1/facilities/{id}", summary: "One facility", role: RoleViewer, answer: fac},
		{method: "PUT", path: "/api/v1/facilities/{id}", summary: "Create (201) or replace (200) a facility", role: RoleAdmin, body: fac, answer: fac},
		{method: "GET", path: "/api/v1/alerts", summary: "Alerts, newest first; state=active is firing and acknowledged", role: RoleViewer,
			query: append([]string{"state", "device", "facility", "region", "severity"}, pageQuery...), answer: alert, list: true},
		{method: "GET", path: "/api/v1/alerts/{id}", summary: "One alert", role: RoleViewer, answer: alert},
		{method: "POST", path: "/api/v1/alerts/{id}/ack", summary: "Acknowledge an alert (409 when resolved)", role: RoleEngineer, body: AckRequest{}, answer: alert},
		{method: "POST", path: "/api/v1/alerts/{id}/work-order", summary: "Open the work order of a device alert (device, opened_at = the alert's start, fault = its rule): 201; 200 with the existing one when the alert has one", role: RoleEngineer, body: AlertWorkOrderRequest{}, answer: WorkOrderJSON{}, status: 201},
		{method: "GET", path: "/api/v1/work-orders", summary: "Work orders open at some time in [from, to), newest opened first; status=open|closed", role: RoleViewer,
			query: append([]string{"device", "status", "from", "to"}, pageQuery...), answer: WorkOrderJSON{}, list: true},
		{method: "POST", path: "/api/v1/work-orders", summary: "Open a work order (repair ticket) for a device by hand; fault is a code of the alerting vocabulary (compressor_fault, mains_loss, low_purity, other…)", role: RoleEngineer, body: OpenWorkOrderRequest{}, answer: WorkOrderJSON{}, status: 201},
		{method: "GET", path: "/api/v1/reports/repairs", summary: "Repairs from work orders per group: mean time to repair, main causes, work orders still open, failures without a work order (format=json|csv|html, lang=, csv_headers=machine|human)", role: RoleViewer,
			query: []string{"from", "to", "group", "format", "lang", "csv_headers"}, answer: map[string]any{}},
		{method: "GET", path: "/api/v1/work-orders/{id}", summary: "One work order", role: RoleViewer, answer: WorkOrderJSON{}},
		{method: "POST", path: "/api/v1/work-orders/{id}/close", summary: "Close a work order with its cause, parts and dates (409 when closed already; 400 naming the field when closed_at or restored_at is before opened_at)", role: RoleEngineer, body: CloseWorkOrderRequest{}, answer: WorkOrderJSON{}},
		{method: "GET", path: "/api/v1/silences", summary: "Silences, newest first", role: RoleViewer, query: append([]string{"active"}, pageQuery...), answer: Silence{}, list: true},
		{method: "POST", path: "/api/v1/silences", summary: "Create a silence; maintenance=true marks planned maintenance", role: RoleEngineer, body: Silence{}, answer: Silence{}, status: 201},
		{method: "DELETE", path: "/api/v1/silences/{id}", summary: "Delete a silence (a deleted maintenance no longer counts as maintenance in reports; see /end)", role: RoleEngineer, status: 204},
		{method: "POST", path: "/api/v1/silences/{id}/end", summary: "End a silence now, in one call: planned maintenance that has started keeps the time it ran (200, the silence as it now stands); otherwise the silence is removed (204); 409 when it already ended", role: RoleEngineer, answer: Silence{}},
		{method: "GET", path: "/api/v1/contacts", summary: "Contacts", role: RoleEngineer, query: append([]string{"region", "facility"}, pageQuery...), answer: Contact{}, list: true},
		{method: "POST", path: "/api/v1/contacts", summary: "Create a contact", role: RoleAdmin, body: Contact{}, answer: Contact{}, status: 201},
		{method: "GET", path: "/api/v1/contacts/{id}", summary: "One contact", role: RoleEngineer, answer: Contact{}},
		{method: "PUT", path: "/api/v1/contacts/{id}", summary: "Replace a contact", role: RoleAdmin, body: Contact{}, answer: Contact{}},
		{method: "DELETE", path: "/api/v1/contacts/{id}", summary: "Delete a contact", role: RoleAdmin, status: 204},
		{method: "GET", path: "/api/v1/deliveries", summary: "Notification deliveries, newest first", role: RoleEngineer,
			query: append([]string{"alert_id", "contact_id", "facility", "channel", "state"}, pageQuery...), answer: Delivery{}, list: true},
		{method: "GET", path: "/api/v1/reports/uptime", summary: "Uptime per group (CONTRACT §6); region narrows within the token's regions; format=html is in lang (en, fr, pt; else Accept-Language, else notify.language); csv_headers=human names CSV columns in words", role: RoleViewer,
			query: []string{"from", "to", "group", "region", "format", "lang", "csv_headers"}, answer: map[string]any{}},
		{method: "GET", path: "/api/v1/supply", summary: "Oxygen supply per group (CONTRACT §6); lang and csv_headers as for uptime", role: RoleViewer,
			query: []string{"from", "to", "group", "region", "format", "lang", "csv_headers"}, answer: map[string]any{}},
		{method: "GET", path: "/api/v1/tokens", summary: "API tokens (never their secrets); unlimited admin only", role: RoleAdmin, query: pageQuery, answer: store.Token{}, list: true},
		{method: "POST", path: "/api/v1/tokens", summary: "Create a token; the answer holds its secret, shown once", role: RoleAdmin, body: TokenRequest{}, answer: NewToken{}, status: 201},
		{method: "DELETE", path: "/api/v1/tokens/{id}", summary: "Revoke a token", role: RoleAdmin, status: 204},
		{method: "GET", path: "/api/v1/audit", summary: "Audit log of every change, newest first; unlimited admin only", role: RoleAdmin, query: pageQuery, answer: store.AuditEntry{}, list: true},
		{method: "GET", path: "/api/v1/device-tokens", summary: "Device ingest tokens (never their secrets), oldest first; device=ID narrows; unlimited admin only", role: RoleAdmin, query: append([]string{"device"}, pageQuery...), answer: store.DeviceToken{}, list: true},
		{method: "POST", path: "/api/v1/device-tokens", summary: "Create a device token for registered devices (one device, or a gateway's several); the answer holds its secret, shown once", role: RoleAdmin, body: DeviceTokenRequest{}, answer: NewDeviceToken{}, status: 201},
		{method: "DELETE", path: "/api/v1/device-tokens/{id}", summary: "Revoke a device token", role: RoleAdmin, status: 204},
		{method: "POST", path: "/api/v1/ingest/{device}", summary: "A device posts one reading (JSON object) or a backlog (array, at most 1000) as on MQTT o2/DEVICE/telemetry (CONTRACT §3), with its device token. 200 with counts once the accepted readings are durable, each rejected reading's reason (stable code) with its detail in the language of Accept-Language and the ingester's English line in technical; 400 (reasons in errors, said the same way) when none was accepted; 401 bad token; 403 token of another device; 413 over 64 KiB; 429 and 503 with Retry-After (send again)", deviceToken: true, body: map[string]any{}, answer: IngestResult{}},
		{method: "POST", path: "/api/v1/ingest", summary: "A gateway posts readings of several devices: {\"devices\": [{\"device\": ID, \"readings\": object or array}]}, at most 100 entries and 1 MiB; the device token must cover every device named (else 403, nothing stored). 200 with counts per device (rejections said as for one device); 400 when none was accepted, or a problem naming the reason (too_big, not_json, no_values, bad_device_id) in errors when the batch itself is refused; 503 with Retry-After: send the whole batch again (duplicates are harmless)", deviceToken: true, body: IngestBatch{}, answer: IngestBatchResult{}},
	}
}

var (
	specOnce sync.Once
	specDoc  map[string]any
)

func (s *server) openAPI(w http.ResponseWriter, _ *http.Request) {
	specOnce.Do(func() { specDoc = buildSpec(operations()) })
	writeJSON(w, http.StatusOK, specDoc)
}

// fieldCodes are the codes a field or row error may have (the second part
// of the catalogue's "field." keys), sorted; a row error passed on from an
// API refusal may carry that refusal's code (outside_regions).
func fieldCodes() []string {
	seen := map[string]bool{}
	var out []string
	for _, k := range i18n.Keys("field.") {
		if c := i18n.KeyCode(k); !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

func buildSpec(ops []op) map[string]any {
	problemSchema := schemaOf(reflect.TypeFor[Problem](), nil)
	problemSchema["description"] = "errors[] lists field errors (a CSV import's row errors are alike: row, id, code, error). " +
		"errors[].code is stable and the same in every language, one of: " + strings.Join(fieldCodes(), ", ") +
		" (a reading or batch refused by POST /ingest: its rejection reason, see CONTRACT); errors[].detail says it in the language of Accept-Language; " +
		"errors[].technical, when present, is the component's own line in English (for POST /ingest, the ingester's or the JSON decoder's), for logs and support."
	schemas := map[string]any{"Problem": problemSchema}
	paths := map[string]any{}
	for _, o := range ops {
		item, _ := paths[o.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[o.path] = item
		}
		item[strings.ToLower(o.method)] = o.describe(schemas)
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "OxyWatch API", "version": "1",
			"description": "Monitoring of medical oxygen equipment. Errors are application/problem+json (RFC 9457): title and detail in the language of Accept-Language (en, fr, pt; else the deployment's), code a stable English identifier to match on. Collections answer {\"items\": [...], \"next\": cursor}; pass next back as cursor. Region-limited tokens see and act on nothing outside their regions."},
		"servers": []any{map[string]any{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{"schemas": schemas, "securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"},
			"deviceToken": map[string]any{"type": "http", "scheme": "bearer", "description": "a device token (oxd_…) from POST /api/v1/device-tokens or oxywatch device-token create; it posts readings of its devices and nothing else"}}},
	}
}

func (o op) describe(schemas map[string]any) map[string]any {
	d := map[string]any{"summary": o.summary, "operationId": strings.ToLower(o.method) + strings.NewReplacer("/", "_", "{", "", "}", "", ".", "_").Replace(o.path)}
	var params []any
	if strings.Contains(o.path, "{id}") {
		params = append(params, map[string]any{"name": "id", "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	if strings.Contains(o.path, "{device}") {
		params = append(params, map[string]any{"name": "device", "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	for _, q := range o.query {
		params = append(params, map[string]any{"name": q, "in": "query", "schema": map[string]any{"type": "string"}})
	}
	if params != nil {
		d["parameters"] = params
	}
	if o.role != "" {
		d["security"] = []any{map[string]any{"bearer": []any{}}}
		d["x-oxywatch-role"] = string(o.role)
	}
	if o.deviceToken {
		d["security"] = []any{map[string]any{"deviceToken": []any{}}}
	}
	if o.body != nil {
		d["requestBody"] = map[string]any{"required": true, "content": content(o.body, false, schemas)}
	}
	status := o.status
	if status == 0 {
		status = 200
	}
	ok := map[string]any{"description": http.StatusText(status)}
	if o.answer != nil {
		ok["content"] = content(o.answer, o.list, schemas)
	}
	problemRef := map[string]any{"description": "problem", "content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Problem"}}}}
	d["responses"] = map[string]any{itoa(int64(status)): ok, "default": problemRef}
	return d
}

func content(v any, list bool, schemas map[string]any) map[string]any {
	if mt, ok := v.(string); ok {
		return map[string]any{mt: map[string]any{"schema": map[string]any{"type": "string"}}}
	}
	sch := schemaOf(reflect.TypeOf(v), schemas)
	if list {
		sch = map[string]any{"type": "object", "required": []string{"items"}, "properties": map[string]any{
			"items": map[string]any{"type": "array", "items": sch}, "next": map[string]any{"type": "string"}}}
	}
	return map[string]any{"application/json": map[string]any{"schema": sch}}
}

var timeType = reflect.TypeFor[time.Time]()

// schemaOf describes a Go type as JSON Schema, named structs under
// components.schemas (when schemas is not nil).
func schemaOf(t reflect.Type, schemas map[string]any) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.Pointer:
		s := schemaOf(t.Elem(), schemas)
		s["nullable"] = true
		return s
	case t.Kind() == reflect.Struct:
		if schemas != nil && t.Name() != "" {
			if _, ok := schemas[t.Name()]; !ok {
				schemas[t.Name()] = map[string]any{} // cycles stop here
				schemas[t.Name()] = structSchema(t, schemas)
			}
			return map[string]any{"$ref": "#/components/schemas/" + t.Name()}
		}
		return structSchema(t, schemas)
	case t.Kind() == reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), schemas)}
	case t.Kind() == reflect.Map:
		return map[string]any{"type": "object"}
	case t.Kind() == reflect.String:
		return map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		return map[string]any{"type": "boolean"}
	case t.Kind() == reflect.Float64 || t.Kind() == reflect.Float32:
		return map[string]any{"type": "number"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return map[string]any{"type": "integer"}
	}
	return map[string]any{}
}

func structSchema(t reflect.Type, schemas map[string]any) map[string]any {
	props := map[string]any{}
	addFields(t, props, schemas)
	return map[string]any{"type": "object", "properties": props}
}

func addFields(t reflect.Type, props map[string]any, schemas map[string]any) {
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			addFields(ft, props, schemas)
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = schemaOf(f.Type, schemas)
	}
}
