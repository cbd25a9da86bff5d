use crate::common::*;

#[test]
fn string_functions() {
    check(vec![
        ("join", vec![s(", "), strs(&["foo", "bar", "baz"])], s("foo, bar, baz")),
        ("join", vec![s(", "), strs(&["foo"])], s("foo")),
        ("join", vec![s("-"), strs(&["a"]), l(vec![n(1.0), b(true)])], s("a-1-true")),
        ("join", vec![s(","), l(vec![])], s("")),
        ("split", vec![s(","), s("foo")], strs(&["foo"])),
        ("split", vec![s(","), s("foo,bar,baz")], strs(&["foo", "bar", "baz"])),
        ("split", vec![s(","), s("")], strs(&[""])),
        ("split", vec![s(""), s("héllo")], strs(&["h", "é", "l", "l", "o"])),
        ("lower", vec![s("HELLO")], s("hello")),
        ("lower", vec![s("АЛЛО!")], s("алло!")),
        ("upper", vec![s("hello")], s("HELLO")),
        ("upper", vec![s("алло!")], s("АЛЛО!")),
        ("replace", vec![s("1 + 2 + 3"), s("+"), s("-")], s("1 - 2 - 3")),
        ("replace", vec![s("hello world"), s("/w.*d/"), s("everybody")], s("hello everybody")),
        ("replace", vec![s("hello world"), s("/(h)(e)/"), s("$2$1")], s("ehllo world")),
        ("replace", vec![s("key=value"), s("/(?P<k>\\w+)=(?P<v>\\w+)/"), s("${v}=${k}")], s("value=key")),
        ("replace", vec![s("a/b"), s("/"), s("|")], s("a|b")),
        ("trimspace", vec![s("  hello\n\n")], s("hello")),
        ("trim", vec![s("?!hello?!"), s("!?")], s("hello")),
        ("trim", vec![s("foobar"), s("far")], s("oob")),
        ("trim", vec![s("   hello! world.!  "), s("! ")], s("hello! world.")),
        ("trimprefix", vec![s("helloworld"), s("hello")], s("world")),
        ("trimprefix", vec![s("helloworld"), s("cat")], s("helloworld")),
        ("trimsuffix", vec![s("helloworld"), s("world")], s("hello")),
        ("substr", vec![s("hello world"), n(1.0), n(4.0)], s("ello")),
        ("substr", vec![s("🤔🤷"), n(0.0), n(1.0)], s("🤔")),
        ("substr", vec![s("hello world"), n(-5.0), n(-1.0)], s("world")),
        ("substr", vec![s("hello world"), n(6.0), n(10.0)], s("world")),
        ("substr", vec![s("hello"), n(10.0), n(2.0)], s("")),
        ("substr", vec![s("hello"), n(-10.0), n(2.0)], s("he")),
        ("substr", vec![s("hello"), n(1.0), n(0.0)], s("")),
        ("title", vec![s("hello world")], s("Hello World")),
        ("title", vec![s("hello-world_x y.z")], s("Hello-World_x Y.Z")),
        ("chomp", vec![s("hello\n")], s("hello")),
        ("chomp", vec![s("hello\r\n")], s("hello")),
        ("chomp", vec![s("hello\n\n")], s("hello")),
        ("chomp", vec![s("hel\nlo")], s("hel\nlo")),
        ("indent", vec![n(2.0), s("[\n  foo,\n  bar,\n]\n")], s("[\n    foo,\n    bar,\n  ]\n  ")),
        ("startswith", vec![s("hello world"), s("hello")], b(true)),
        ("startswith", vec![s("hello world"), s("world")], b(false)),
        ("endswith", vec![s("hello world"), s("world")], b(true)),
        ("endswith", vec![s("hello world"), s("hello")], b(false)),
        ("strcontains", vec![s("hello world"), s("wor")], b(true)),
        ("strcontains", vec![s("hello world"), s("wod")], b(false)),
        ("strrev", vec![s("hello")], s("olleh")),
        ("strrev", vec![s("a☃b")], s("b☃a")),
        ("urlencode", vec![s("Hello World!")], s("Hello+World%21")),
        ("urlencode", vec![s("☃")], s("%E2%98%83")),
        ("upper", vec![n(5.0)], s("5")),
    ]);
}

#[test]
fn format_examples() {
    check(vec![
        ("format", vec![s("Hello, %s!"), s("Ander")], s("Hello, Ander!")),
        ("format", vec![s("There are %d lights"), n(4.0)], s("There are 4 lights")),
        ("format", vec![s("%.2f"), n(1.23456)], s("1.23")),
        ("format", vec![s("%f"), n(1.5)], s("1.500000")),
        ("format", vec![s("%v|%v|%v|%v"), s("a"), n(2.0), b(true), NULL], s("a|2|true|null")),
        ("format", vec![s("%v"), l(vec![n(1.0), s("a")])], s("[1,\"a\"]")),
        ("format", vec![s("%#v"), s("a")], s("\"a\"")),
        ("format", vec![s("%q"), s("say \"hi\"")], s("\"say \\\"hi\\\"\"")),
        ("format", vec![s("%t"), b(true)], s("true")),
        ("format", vec![s("%d%%"), n(50.0)], s("50%")),
        ("format", vec![s("%5d|%-5d|%05d"), n(42.0), n(42.0), n(-42.0)], s("   42|42   |-0042")),
        ("format", vec![s("%+d % d"), n(5.0), n(5.0)], s("+5  5")),
        ("format", vec![s("%8s|%-8s|%.3s"), s("abc"), s("abc"), s("abcdef")], s("     abc|abc     |abc")),
        ("format", vec![s("%x %X %o %b %#x"), n(255.0), n(255.0), n(8.0), n(5.0), n(255.0)], s("ff FF 10 101 0xff")),
        ("format", vec![s("%e"), n(1234.5678)], s("1.234568e+03")),
        ("format", vec![s("%g %g %g %g"), n(100000.0), n(1000000.0), n(0.0001), n(0.00001)], s("100000 1e+06 0.0001 1e-05")),
        ("format", vec![s("%g %.3g %G"), n(1.5), n(1.23456), n(1e-7)], s("1.5 1.23 1E-07")),
        ("format", vec![s("%[2]s %[1]s"), s("world"), s("hello")], s("hello world")),
        ("format", vec![s("%s"), n(5.0)], s("5")),
        ("format", vec![s("%d"), s("12")], s("12")),
        ("format", vec![s("%10.2f|"), n(1.23456)], s("      1.23|")),
        ("format", vec![s("no verbs")], s("no verbs")),
        (
            "formatlist",
            vec![s("Hello, %s!"), strs(&["Valentina", "Ander", "Olivia", "Sam"])],
            strs(&["Hello, Valentina!", "Hello, Ander!", "Hello, Olivia!", "Hello, Sam!"]),
        ),
        ("formatlist", vec![s("%s, %s!"), s("Salutations"), strs(&["Valentina", "Ander"])], strs(&["Salutations, Valentina!", "Salutations, Ander!"])),
        ("formatlist", vec![s("%s=%d"), strs(&["a", "b"]), nums(&[1.0, 2.0])], strs(&["a=1", "b=2"])),
        ("formatlist", vec![s("%s"), s("x")], strs(&["x"])),
    ]);
    check_errors(vec![
        ("format", vec![s("%s %s"), s("a")], "not enough arguments for \"%s\""),
        ("format", vec![s("%s"), s("a"), s("b")], "too many arguments; only 1 used by format string"),
        ("format", vec![s("%d"), n(1.5)], "argument 2: unsupported value for \"%d\""),
        ("format", vec![s("%s"), NULL], "null value cannot be formatted"),
        ("format", vec![s("%s"), strs(&["a"])], "string required"),
        ("format", vec![s("%t"), n(1.0)], "bool required"),
        ("format", vec![s("%z"), n(1.0)], "unrecognized format character 'z' at offset 1"),
        ("format", vec![s("abc %")], "unterminated format verb"),
        ("format", vec![s("%99999999999d"), n(1.0)], "too large"),
        ("formatlist", vec![s("%s %s"), strs(&["a", "b"]), strs(&["c"])], "argument 3 has length 1, which is inconsistent with argument 2 of length 2"),
    ]);
}

#[test]
fn regex_functions() {
    check(vec![
        ("regex", vec![s("[a-z]+"), s("53453453.345345aaabbbccc23454")], s("aaabbbccc")),
        ("regex", vec![s("(\\d\\d\\d\\d)-(\\d\\d)-(\\d\\d)"), s("2019-02-01")], strs(&["2019", "02", "01"])),
        (
            "regex",
            vec![s("^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?"), s("https://terraform.io/docs/")],
            m(vec![("authority", s("terraform.io")), ("scheme", s("https"))]),
        ),
        ("regex", vec![s("(a)|(b)"), s("b")], l(vec![NULL, s("b")])),
        ("regexall", vec![s("[a-z]+"), s("1234abcd5678efgh9")], strs(&["abcd", "efgh"])),
        ("regexall", vec![s("[a-z]+"), s("123456789")], l(vec![])),
        ("regexall", vec![s("(\\d)(\\w)"), s("1a 2b")], l(vec![strs(&["1", "a"]), strs(&["2", "b"])])),
        ("length", vec![run("regexall", vec![s("[a-z]+"), s("1234abcd5678efgh9")]).unwrap()], n(2.0)),
    ]);
    check_errors(vec![
        ("regex", vec![s("[a-z]+"), s("123")], "pattern did not match any part of the given string"),
        ("regex", vec![s("(a"), s("a")], "invalid regular expression pattern"),
        ("regex", vec![s("(?P<x>a)(b)"), s("ab")], "can't mix both named and unnamed capture groups"),
        ("replace", vec![s("a"), s("/(/"), s("b")], "argument 2: invalid regular expression pattern"),
    ]);
}
