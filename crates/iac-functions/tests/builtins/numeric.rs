use crate::common::*;

#[test]
fn numeric_functions() {
    check(vec![
        ("min", vec![n(12.0), n(54.0), n(3.0)], n(3.0)),
        ("max", vec![n(12.0), n(54.0), n(3.0)], n(54.0)),
        ("max", vec![s("7"), n(3.0)], n(7.0)),
        ("abs", vec![n(-12.4)], n(12.4)),
        ("abs", vec![n(23.0)], n(23.0)),
        ("ceil", vec![n(5.1)], n(6.0)),
        ("ceil", vec![n(5.0)], n(5.0)),
        ("floor", vec![n(4.9)], n(4.0)),
        ("floor", vec![n(-4.1)], n(-5.0)),
        ("pow", vec![n(3.0), n(2.0)], n(9.0)),
        ("pow", vec![n(4.0), n(0.0)], n(1.0)),
        ("signum", vec![n(-13.0)], n(-1.0)),
        ("signum", vec![n(0.0)], n(0.0)),
        ("signum", vec![n(344.0)], n(1.0)),
        ("log", vec![n(16.0), n(2.0)], n(4.0)),
        ("parseint", vec![s("100"), n(10.0)], n(100.0)),
        ("parseint", vec![s("FF"), n(16.0)], n(255.0)),
        ("parseint", vec![s("-10"), n(16.0)], n(-16.0)),
        ("parseint", vec![s("1011111011101111"), n(2.0)], n(48879.0)),
        ("parseint", vec![s("aA"), n(62.0)], n(656.0)),
        // Exact beyond 64 bits, as Terraform's big integers.
        ("parseint", vec![s("18446744073709551617"), n(10.0)], big("18446744073709551617")),
        ("parseint", vec![s("zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"), n(36.0)], big("106387358923716524807713475752456393740167855629859291135")),
        ("abs", vec![big("-9007199254740993")], big("9007199254740993")),
        ("max", vec![big("9007199254740993"), big("9007199254740992")], big("9007199254740993")),
        ("min", vec![big("0.1"), big("0.2")], big("0.1")),
        ("ceil", vec![big("9007199254740993.5")], big("9007199254740994")),
        ("signum", vec![big("-9007199254740993")], n(-1.0)),
        ("pow", vec![n(2.0), n(64.0)], n(18446744073709551616.0)),
    ]);
    check_errors(vec![
        ("min", vec![], "min: must pass at least one number"),
        ("min", vec![s("x")], "a number is required"),
        ("abs", vec![b(true)], "number required"),
        ("parseint", vec![s("12"), n(2.0)], "cannot parse \"12\" as a base 2 integer"),
        ("parseint", vec![s("1"), n(63.0)], "base must be a whole number between 2 and 62"),
    ]);
}
