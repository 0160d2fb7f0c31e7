package dev.portolan.helm;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Fields of a rendered object that its fabric8 model does not declare. fabric8 keeps them in each
 * model object's {@code additionalProperties} instead of failing, so a misspelt field in a template
 * (say {@code readinesProbe}) would otherwise pass every test and be dropped by the API server.
 */
final class UnknownFields {
  private UnknownFields() {}

  static List<String> of(Object root) {
    List<String> found = new ArrayList<>();
    walk(root, "", found);
    return found;
  }

  private static void walk(Object o, String path, List<String> found) {
    switch (o) {
      case Map<?, ?> m -> m.forEach((k, v) -> walkNullable(v, path + "." + k, found));
      case Collection<?> c -> {
        int i = 0;
        for (Object v : c) {
          walkNullable(v, path + "[" + i++ + "]", found);
        }
      }
      default -> {
        if (!o.getClass().getName().startsWith("io.fabric8.")) {
          return;
        }
        for (Method m : o.getClass().getMethods()) {
          if (!isGetter(m)) {
            continue;
          }
          Object v = invoke(m, o);
          if (m.getName().equals("getAdditionalProperties")) {
            if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
              extra.keySet().forEach(k -> found.add(path + "." + k));
            }
          } else {
            walkNullable(v, path + "." + property(m), found);
          }
        }
      }
    }
  }

  private static void walkNullable(
      @org.jspecify.annotations.Nullable Object v, String path, List<String> found) {
    if (v != null) {
      walk(v, path, found);
    }
  }

  private static boolean isGetter(Method m) {
    return m.getParameterCount() == 0
        && !Modifier.isStatic(m.getModifiers())
        && m.getName().startsWith("get")
        && !m.getName().equals("getClass")
        && m.getReturnType() != void.class;
  }

  private static String property(Method m) {
    String n = m.getName().substring(3);
    return n.isEmpty() ? n : Character.toLowerCase(n.charAt(0)) + n.substring(1);
  }

  private static @org.jspecify.annotations.Nullable Object invoke(Method m, Object o) {
    try {
      return m.invoke(o);
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException("cannot read " + m + " of " + o.getClass(), e);
    }
  }
}
