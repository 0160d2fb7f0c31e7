{{/*
Names. Every object's name starts with the release's full name ("portolan" for a release named
portolan), so two releases in one cluster do not collide.
*/}}
{{- define "portolan.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "portolan.policyServer.name" -}}
{{- printf "%s-policy-server" (include "portolan.fullname" .) -}}
{{- end -}}

{{/* The headless Service the proxies dial: one DNS name, every ready replica behind it. */}}
{{- define "portolan.grpcService.name" -}}
{{- printf "%s-policy" (include "portolan.fullname" .) -}}
{{- end -}}

{{- define "portolan.webhookService.name" -}}
{{- printf "%s-webhook" (include "portolan.fullname" .) -}}
{{- end -}}

{{- define "portolan.adminService.name" -}}
{{- printf "%s-admin" (include "portolan.fullname" .) -}}
{{- end -}}

{{- define "portolan.webhookSecret.name" -}}
{{- if .Values.injector.tls.existingSecret -}}
{{- .Values.injector.tls.existingSecret -}}
{{- else -}}
{{- printf "%s-webhook-tls" (include "portolan.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "portolan.issuerSecret.name" -}}
{{- if .Values.identity.issuer.existingSecret -}}
{{- .Values.identity.issuer.existingSecret -}}
{{- else -}}
{{- printf "%s-identity-issuer" (include "portolan.fullname" .) -}}
{{- end -}}
{{- end -}}

{{- define "portolan.trustRoots.name" -}}
{{- printf "%s-identity-trust-roots" (include "portolan.fullname" .) -}}
{{- end -}}

{{/* The policy-server's gRPC address as a proxy sees it. */}}
{{- define "portolan.grpcAddress" -}}
{{- printf "%s.%s.svc.%s:%d" (include "portolan.grpcService.name" .) .Release.Namespace .Values.clusterDomain (int .Values.grpc.port) -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "portolan.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: portolan
{{- end -}}

{{/* Selector labels of the policy-server's pods: fixed for the life of a release. */}}
{{- define "portolan.policyServer.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: policy-server
{{- end -}}

{{/* image: repository[:tag][@digest]; the tag defaults to the chart's appVersion. */}}
{{- define "portolan.image" -}}
{{- $image := index . 0 -}}
{{- $root := index . 1 -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $image.repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $image.repository (default $root.Chart.AppVersion $image.tag) -}}
{{- end -}}
{{- end -}}

{{/* The proxy-init image: its own when a repository is given, else the proxy image. */}}
{{- define "portolan.proxyInit.image" -}}
{{- if .Values.proxyInit.image.repository -}}
{{- include "portolan.image" (list .Values.proxyInit.image .) -}}
{{- else -}}
{{- include "portolan.image" (list .Values.proxy.image .) -}}
{{- end -}}
{{- end -}}

{{/* portolan.grpc.tls: grpc.tls when set, else required with identity on and off without. */}}
{{- define "portolan.grpcTls" -}}
{{- .Values.grpc.tls | default (ternary "required" "off" .Values.identity.enabled) -}}
{{- end -}}

{{/*
Checks across values that a JSON schema cannot say clearly. Each failure names the values
involved and what to do.
*/}}
{{- define "portolan.validate" -}}
{{- $tls := include "portolan.grpcTls" . -}}
{{- if and (ne $tls "off") (not .Values.identity.enabled) -}}
{{- fail (printf "grpc.tls=%s needs identity.enabled=true: the gRPC port's certificate comes from the identity issuer. Set identity.enabled=true, or grpc.tls=off." $tls) -}}
{{- end -}}
{{- if and .Values.injector.enabled (not .Values.injector.tls.generate) -}}
{{- if not .Values.injector.tls.caBundle -}}
{{- fail "injector.tls.generate=false needs injector.tls.caBundle: the PEM of the CA that signed the webhook's serving certificate (the API server verifies the webhook with it)." -}}
{{- end -}}
{{- if and (not .Values.injector.tls.existingSecret) (or (not .Values.injector.tls.crtPEM) (not .Values.injector.tls.keyPEM)) -}}
{{- fail "injector.tls.generate=false needs either injector.tls.existingSecret (a kubernetes.io/tls Secret in the release namespace) or both injector.tls.crtPEM and injector.tls.keyPEM." -}}
{{- end -}}
{{- end -}}
{{- if and .Values.identity.enabled (not .Values.identity.generate) -}}
{{- if not .Values.identity.trustAnchorsPEM -}}
{{- fail "identity.generate=false needs identity.trustAnchorsPEM: the PEM of the trust anchor every proxy verifies its peers against." -}}
{{- end -}}
{{- if and (not .Values.identity.issuer.existingSecret) (or (not .Values.identity.issuer.crtPEM) (not .Values.identity.issuer.keyPEM)) -}}
{{- fail "identity.generate=false needs either identity.issuer.existingSecret (a kubernetes.io/tls Secret in the release namespace) or both identity.issuer.crtPEM and identity.issuer.keyPEM." -}}
{{- end -}}
{{- end -}}
{{- end -}}
