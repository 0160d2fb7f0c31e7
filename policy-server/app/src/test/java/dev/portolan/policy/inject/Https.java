package dev.portolan.policy.inject;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** A JDK HttpClient that trusts exactly one certificate, as an API server trusts its caBundle. */
final class Https {
  private Https() {}

  static HttpClient trusting(X509Certificate cert) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry("webhook", cert);
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ctx).connectTimeout(Duration.ofSeconds(5)).build();
  }

  static HttpResponse<String> post(HttpClient c, int port, String path, byte[] body)
      throws Exception {
    return c.send(
        HttpRequest.newBuilder(URI.create("https://localhost:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** An AdmissionReview for a Pod created by a ReplicaSet: generateName, no name. */
  static String review(String uid, String namespace, String podAnnotations) {
    return """
    {"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{
      "uid":"%s",
      "kind":{"group":"","version":"v1","kind":"Pod"},
      "resource":{"group":"","version":"v1","resource":"pods"},
      "namespace":"%s","operation":"CREATE",
      "userInfo":{"username":"system:serviceaccount:kube-system:replicaset-controller"},
      "object":{"apiVersion":"v1","kind":"Pod",
        "metadata":{"generateName":"web-5f7c9-","labels":{"app":"web"},"annotations":{%s}},
        "spec":{"containers":[{"name":"web","image":"nginx:1.27",
          "ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}]}]}},
      "dryRun":false}}
    """
        .formatted(uid, namespace, podAnnotations);
  }
}
