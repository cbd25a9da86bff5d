use crate::common::*;

#[test]
fn cidr_documentation_examples() {
    check(vec![
        ("cidrsubnet", vec![s("172.16.0.0/12"), n(4.0), n(2.0)], s("172.18.0.0/16")),
        ("cidrsubnet", vec![s("10.1.2.0/24"), n(4.0), n(15.0)], s("10.1.2.240/28")),
        // Terraform's documented result: a /56 keeps only "78" of the fourth
        // group, and subnet 162 (0xa2) fills the next 16 bits.
        ("cidrsubnet", vec![s("fd00:fd12:3456:7890::/56"), n(16.0), n(162.0)], s("fd00:fd12:3456:7800:a200::/72")),
        ("cidrsubnet", vec![s("fd00:fd12:3456:7800::/56"), n(8.0), n(162.0)], s("fd00:fd12:3456:78a2::/64")),
        ("cidrsubnet", vec![s("10.1.2.0/24"), n(0.0), n(0.0)], s("10.1.2.0/24")),
        ("cidrsubnet", vec![s("10.1.2.7/24"), n(8.0), n(3.0)], s("10.1.2.3/32")),
        ("cidrsubnet", vec![s("0.0.0.0/0"), n(1.0), n(1.0)], s("128.0.0.0/1")),
        ("cidrhost", vec![s("10.12.112.0/20"), n(16.0)], s("10.12.112.16")),
        ("cidrhost", vec![s("10.12.112.0/20"), n(268.0)], s("10.12.113.12")),
        ("cidrhost", vec![s("fd00:fd12:3456:7890:00a2::/72"), n(34.0)], s("fd00:fd12:3456:7890::22")),
        ("cidrhost", vec![s("10.0.0.0/24"), n(-1.0)], s("10.0.0.255")),
        ("cidrhost", vec![s("10.0.0.0/24"), n(-256.0)], s("10.0.0.0")),
        ("cidrhost", vec![s("10.0.0.5/32"), n(0.0)], s("10.0.0.5")),
        ("cidrnetmask", vec![s("172.16.0.0/12")], s("255.240.0.0")),
        ("cidrnetmask", vec![s("10.0.0.0/32")], s("255.255.255.255")),
        ("cidrnetmask", vec![s("0.0.0.0/0")], s("0.0.0.0")),
        ("cidrsubnets", vec![s("10.1.0.0/16"), n(4.0), n(4.0), n(8.0), n(4.0)], strs(&["10.1.0.0/20", "10.1.16.0/20", "10.1.32.0/24", "10.1.48.0/20"])),
        (
            "cidrsubnets",
            vec![s("fd00:fd12:3456:7890::/56"), n(16.0), n(16.0), n(16.0), n(32.0)],
            strs(&["fd00:fd12:3456:7800::/72", "fd00:fd12:3456:7800:100::/72", "fd00:fd12:3456:7800:200::/72", "fd00:fd12:3456:7800:300::/88"]),
        ),
        ("cidrsubnets", vec![s("10.0.0.0/8")], l(vec![])),
        ("cidrsubnets", vec![s("0.0.0.0/0"), n(1.0), n(1.0)], strs(&["0.0.0.0/1", "128.0.0.0/1"])),
    ]);
}

#[test]
fn cidr_errors() {
    check_errors(vec![
        ("cidrsubnet", vec![s("10.1.2.0/24"), n(4.0), n(16.0)], "prefix extension of 4 does not accommodate a subnet numbered 16"),
        ("cidrsubnet", vec![s("10.1.2.0/24"), n(10.0), n(0.0)], "insufficient address space to extend prefix of 24 by 10"),
        ("cidrsubnet", vec![s("10.1.2.0/24"), n(4.0), n(-1.0)], "does not accommodate a subnet numbered -1"),
        ("cidrsubnet", vec![s("::/0"), n(33.0), n(0.0)], "may not extend prefix by more than 32 bits"),
        ("cidrsubnet", vec![s("10.1.2.0"), n(4.0), n(1.0)], "invalid CIDR address: 10.1.2.0"),
        ("cidrsubnet", vec![s("10.1.2.0/33"), n(4.0), n(1.0)], "invalid CIDR address"),
        ("cidrsubnet", vec![s("10.1.2.300/24"), n(4.0), n(1.0)], "invalid CIDR address"),
        ("cidrsubnet", vec![s("10.1.2.0/+4"), n(4.0), n(1.0)], "invalid CIDR address"),
        ("cidrsubnet", vec![s("10.1.2.0/24"), n(1e300), n(1.0)], "too large"),
        ("cidrhost", vec![s("10.12.112.0/20"), n(4096.0)], "prefix of 20 does not accommodate a host numbered 4096"),
        ("cidrhost", vec![s("10.0.0.0/24"), n(-257.0)], "does not accommodate a host numbered -257"),
        ("cidrnetmask", vec![s("fd00::/56")], "IPv6 addresses cannot have a netmask"),
        (
            "cidrsubnets",
            vec![s("10.0.0.0/24"), n(1.0), n(1.0), n(1.0)],
            "not enough remaining address space for a subnet with a prefix of 25 bits after 10.0.0.128/25",
        ),
        ("cidrsubnets", vec![s("10.0.0.0/24"), n(0.0)], "must extend prefix by at least one bit"),
        ("cidrsubnets", vec![s("10.0.0.0/24"), n(9.0)], "would extend prefix to 33 bits, which is too long for an IPv4 address"),
    ]);
}

#[test]
fn ipv6_host_numbers_beyond_32_bits() {
    check(vec![
        ("cidrhost", vec![s("2001:db8::/32"), n(4_294_967_296.0)], s("2001:db8::1:0:0")),
        ("cidrhost", vec![s("::/0"), n(-1.0)], s("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")),
    ]);
}
