package io.llmswarm.tokenizer;

import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * Python's string methods on template strings ({@code content.strip()}, {@code role.title()},
 * {@code text.startswith('<think>')}, {@code text.split('</think>')}, ...), which chat templates
 * written for Hugging Face's Python Jinja call and Java's String lacks or means otherwise.
 */
final class PythonStringMethods extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String s) || method == null) {
            return null;
        }
        Object[] args = params == null ? new Object[0] : params;
        Object result = call(s, method.toString(), args);
        if (result != NOT_HANDLED) {
            context.setPropertyResolved(true);
            return result;
        }
        return null;
    }

    private static final Object NOT_HANDLED = new Object();

    private static Object call(String s, String name, Object[] a) {
        String arg0 = a.length > 0 && a[0] != null ? a[0].toString() : null;
        return switch (name) {
            case "strip" -> rstrip(lstrip(s, arg0), arg0);
            case "lstrip" -> lstrip(s, arg0);
            case "rstrip" -> rstrip(s, arg0);
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            case "startswith" -> arg0 != null && s.startsWith(arg0);
            case "endswith" -> arg0 != null && s.endsWith(arg0);
            case "split" -> split(s, arg0, a.length > 1 && a[1] instanceof Number n ? n.intValue() : -1);
            case "replace" -> a.length >= 2 ? s.replace(String.valueOf(a[0]), String.valueOf(a[1])) : NOT_HANDLED;
            case "find" -> arg0 == null ? NOT_HANDLED : s.indexOf(arg0);
            case "count" -> arg0 == null || arg0.isEmpty() ? NOT_HANDLED : (s.length() - s.replace(arg0, "").length()) / arg0.length();
            default -> NOT_HANDLED;
        };
    }

    private static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && (chars == null ? Character.isWhitespace(s.charAt(i)) : chars.indexOf(s.charAt(i)) >= 0)) {
            i++;
        }
        return s.substring(i);
    }

    private static String rstrip(String s, String chars) {
        int j = s.length();
        while (j > 0 && (chars == null ? Character.isWhitespace(s.charAt(j - 1)) : chars.indexOf(s.charAt(j - 1)) >= 0)) {
            j--;
        }
        return s.substring(0, j);
    }

    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean start = true;
        for (char c : s.toCharArray()) {
            out.append(start ? Character.toUpperCase(c) : Character.toLowerCase(c));
            start = !Character.isLetter(c);
        }
        return out.toString();
    }

    private static List<String> split(String s, String separator, int maxSplit) {
        if (separator == null) {
            List<String> words = new ArrayList<>(Arrays.asList(s.strip().split("\\s+")));
            words.removeIf(String::isEmpty);
            return words;
        }
        List<String> parts = new ArrayList<>();
        int from = 0;
        int at;
        while ((maxSplit < 0 || parts.size() < maxSplit) && (at = s.indexOf(separator, from)) >= 0 && !separator.isEmpty()) {
            parts.add(s.substring(from, at));
            from = at + separator.length();
        }
        parts.add(s.substring(from));
        return parts;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
    }
}
