use crate::common::*;

fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.txt"), "Hello World").unwrap();
    std::fs::write(dir.path().join("greeting.tpl"), "Hello, ${name}!").unwrap();
    std::fs::write(dir.path().join("broken.tpl"), "Hello, ${missing}!").unwrap();
    std::fs::write(dir.path().join("binary.bin"), [0xff, 0xfe, 0x00]).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    dir
}

#[test]
fn file_reads_relative_to_base_dir() {
    let dir = fixture();
    assert_eq!(call_in(dir.path(), "file", vec![s("hello.txt")]).unwrap(), s("Hello World"));
    let abs = dir.path().join("hello.txt");
    assert_eq!(call_in(std::path::Path::new("/"), "file", vec![s(abs.to_str().unwrap())]).unwrap(), s("Hello World"));
    let missing = call_in(dir.path(), "file", vec![s("nope.txt")]).unwrap_err().to_string();
    assert!(missing.contains("no file exists at \"nope.txt\""), "{missing}");
    let binary = call_in(dir.path(), "file", vec![s("binary.bin")]).unwrap_err().to_string();
    assert!(binary.contains("not valid UTF-8"), "{binary}");
    assert!(call_in(dir.path(), "file", vec![s("sub")]).is_err());
    assert_eq!(call_in(dir.path(), "file", vec![sens(s("hello.txt"))]).unwrap(), sens(s("Hello World")));
}

#[test]
fn fileexists_distinguishes_files_and_directories() {
    let dir = fixture();
    assert_eq!(call_in(dir.path(), "fileexists", vec![s("hello.txt")]).unwrap(), b(true));
    assert_eq!(call_in(dir.path(), "fileexists", vec![s("nope.txt")]).unwrap(), b(false));
    let e = call_in(dir.path(), "fileexists", vec![s("sub")]).unwrap_err().to_string();
    assert!(e.contains("is not a regular file"), "{e}");
}

#[test]
fn templatefile_renders_through_the_context() {
    let dir = fixture();
    let vars = m(vec![("name", s("Ander"))]);
    assert_eq!(call_in(dir.path(), "templatefile", vec![s("greeting.tpl"), vars]).unwrap(), s("Hello, Ander!"));
    let secret = m(vec![("name", sens(s("Ander")))]);
    assert_eq!(call_in(dir.path(), "templatefile", vec![s("greeting.tpl"), secret]).unwrap(), sens(s("Hello, Ander!")));
    let e = call_in(dir.path(), "templatefile", vec![s("broken.tpl"), m(vec![])]).unwrap_err().to_string();
    assert!(e.starts_with("templatefile: failed to render broken.tpl: unresolved reference"), "{e}");
    let e = call_in(dir.path(), "templatefile", vec![s("greeting.tpl"), m(vec![("1bad", s("x"))])]).unwrap_err().to_string();
    assert!(e.contains("invalid template variable name \"1bad\""), "{e}");
    let e = call_in(dir.path(), "templatefile", vec![s("greeting.tpl"), strs(&["x"])]).unwrap_err().to_string();
    assert!(e.contains("argument 2: map or object required"), "{e}");
    assert!(call_in(dir.path(), "templatefile", vec![s("nope.tpl"), m(vec![])]).is_err());
}
