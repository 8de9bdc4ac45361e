//! Hash and crypto functions: md5, sha1, sha256, sha512, base64sha256, base64sha512, the
//! file* hash variants, bcrypt, rsadecrypt, uuid, uuidv5 (Terraform's lang/funcs/crypto.go).

use super::filesystem::{go_read, resolve, FuncCtx};
use super::{num_arg, str_arg, to_whole_int, FuncError, Function, Impl, Param, Registry};
use crate::lang::types::Type;
use crate::lang::value::Value;
use base64::Engine as _;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};
use std::sync::Arc;

/// Registers this group's functions, the file hashes reading relative to `ctx.base_dir`.
pub fn register(r: &mut Registry, ctx: &Arc<FuncCtx>) {
    let st = || Param::new("str", Type::String);
    let path = || Param::new("path", Type::String);
    let string = |params, imp: Impl| Function::simple(params, Type::String, imp);
    // Each hash of a string, and the same hash of a file as `file<name>`.
    let hashes: [(&str, DigestFn, Enc); 6] = [
        ("md5", digest::<Md5>, Enc::Hex),
        ("sha1", digest::<Sha1>, Enc::Hex),
        ("sha256", digest::<Sha256>, Enc::Hex),
        ("sha512", digest::<Sha512>, Enc::Hex),
        ("base64sha256", digest::<Sha256>, Enc::Base64),
        ("base64sha512", digest::<Sha512>, Enc::Base64),
    ];
    for (name, digest, enc) in hashes {
        r.register(
            name,
            Function::simple(vec![st()], Type::String, move |a| {
                Ok(Value::string(encode(
                    &digest(str_arg(a, 0)?.as_bytes()),
                    enc,
                )))
            }),
        );
        let ctx = Arc::clone(ctx);
        r.register(
            &format!("file{name}"),
            Function::simple(vec![path()], Type::String, move |a| {
                Ok(Value::string(encode(&digest(&read(&ctx, a)?), enc)))
            }),
        );
    }
    r.register(
        "bcrypt",
        string(vec![st()], bcrypt_fn).variadic(Param::new("cost", Type::Number)),
    );
    r.register(
        "rsadecrypt",
        string(
            vec![
                Param::new("ciphertext", Type::String),
                Param::new("privatekey", Type::String),
            ],
            rsadecrypt,
        ),
    );
    r.register(
        "uuid",
        string(vec![], |_| {
            Ok(Value::string(uuid::Uuid::new_v4().to_string()))
        }),
    );
    r.register(
        "uuidv5",
        string(
            vec![
                Param::new("namespace", Type::String),
                Param::new("name", Type::String),
            ],
            uuidv5,
        ),
    );
}

#[derive(Clone, Copy)]
enum Enc {
    Hex,
    Base64,
}

fn encode(sum: &[u8], enc: Enc) -> String {
    match enc {
        Enc::Hex => sum.iter().map(|b| format!("{b:02x}")).collect(),
        Enc::Base64 => base64::engine::general_purpose::STANDARD.encode(sum),
    }
}

type DigestFn = fn(&[u8]) -> Vec<u8>;

fn digest<D: Digest>(data: &[u8]) -> Vec<u8> {
    D::digest(data).to_vec()
}

/// The contents of the file named by argument 0.
fn read(ctx: &FuncCtx, args: &[Value]) -> Result<Vec<u8>, FuncError> {
    let full = resolve(ctx, str_arg(args, 0)?).map_err(FuncError::new)?;
    go_read(&*ctx.fs, &full).map_err(FuncError::new)
}

fn bcrypt_fn(args: &[Value]) -> Result<Value, FuncError> {
    let s = str_arg(args, 0)?;
    let mut cost: i64 = 10;
    if args.len() > 1 {
        cost = to_whole_int(num_arg(args, 1)?).map_err(FuncError::new)?;
    }
    if args.len() > 2 {
        return Err(FuncError::new("bcrypt() takes no more than two arguments"));
    }
    // Go's bcrypt uses the default cost for anything below the minimum.
    if cost < 4 {
        cost = 10;
    }
    if cost > 31 {
        return Err(FuncError::new(format!(
            "error occured generating password crypto/bcrypt: bcrypt cost {cost} is outside \
             allowed range (4,31)"
        )));
    }
    // Go truncates passwords to 72 bytes.
    let pw = &s.as_bytes()[..s.len().min(72)];
    let h = bcrypt::hash_with_result(pw, cost as u32)
        .map_err(|e| FuncError::new(format!("error occured generating password {e}")))?;
    Ok(Value::string(h.format_for_version(bcrypt::Version::TwoA)))
}

fn rsadecrypt(args: &[Value]) -> Result<Value, FuncError> {
    use rsa::pkcs1::DecodeRsaPrivateKey as _;
    use rsa::pkcs8::DecodePrivateKey as _;
    let ct = str_arg(args, 0)?;
    let key = str_arg(args, 1)?;
    let Ok(bytes) = super::encoding::go_base64_decode(ct) else {
        return Err(FuncError::arg(
            0,
            format!(
                "failed to decode input {}: cipher text must be base64-encoded",
                crate::lang::value::go_quote(ct)
            ),
        ));
    };
    let Some(begin) = key.find("-----BEGIN") else {
        return Err(FuncError::arg(1, "invalid private key: ssh: no key found"));
    };
    let pem = &key[begin..];
    let label_end = pem[10..].find("-----").map(|i| i + 10);
    let label = label_end.map(|e| pem[10..e].trim()).unwrap_or("");
    let pk = match label {
        "RSA PRIVATE KEY" => rsa::RsaPrivateKey::from_pkcs1_pem(pem).map_err(|e| {
            FuncError::arg(
                1,
                format!("invalid ASN1 data in the given private key: {e}"),
            )
        })?,
        "PRIVATE KEY" => rsa::RsaPrivateKey::from_pkcs8_pem(pem)
            .map_err(|e| FuncError::arg(1, format!("invalid private key: {e}")))?,
        "EC PRIVATE KEY" | "DSA PRIVATE KEY" | "OPENSSH PRIVATE KEY" => {
            return Err(FuncError::arg(
                1,
                "invalid private key type: only RSA keys can decrypt",
            ))
        }
        other => {
            return Err(FuncError::arg(
                1,
                format!("invalid private key: ssh: unsupported key type \"{other}\""),
            ))
        }
    };
    let out = pk
        .decrypt(rsa::Pkcs1v15Encrypt, &bytes)
        .map_err(|_| FuncError::new("failed to decrypt: crypto/rsa: decryption error"))?;
    Ok(Value::string(String::from_utf8_lossy(&out).into_owned()))
}

/// google/uuid's `Parse`.
fn parse_uuid(s: &str) -> Result<uuid::Uuid, String> {
    let b = s.as_bytes();
    let hex: String = match b.len() {
        36 => {
            if b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
                return Err("invalid UUID format".into());
            }
            s.replace('-', "")
        }
        38 => {
            if b[0] != b'{' || b[37] != b'}' {
                return Err("invalid UUID format".into());
            }
            return parse_uuid(&s[1..37]);
        }
        45 => {
            if !s[..9].eq_ignore_ascii_case("urn:uuid:") {
                return Err(format!("invalid urn prefix: {}", &s[..9]));
            }
            return parse_uuid(&s[9..]);
        }
        32 => s.to_string(),
        n => return Err(format!("invalid UUID length: {n}")),
    };
    if hex.len() != 32 || !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err("invalid UUID format".into());
    }
    uuid::Uuid::parse_str(&hex).map_err(|_| "invalid UUID format".to_string())
}

fn uuidv5(args: &[Value]) -> Result<Value, FuncError> {
    let ns = str_arg(args, 0)?;
    let name = str_arg(args, 1)?;
    let nsid = match ns {
        "dns" => uuid::Uuid::NAMESPACE_DNS,
        "url" => uuid::Uuid::NAMESPACE_URL,
        "oid" => uuid::Uuid::NAMESPACE_OID,
        "x500" => uuid::Uuid::NAMESPACE_X500,
        _ => parse_uuid(ns).map_err(|e| {
            FuncError::new(format!("uuidv5() doesn't support namespace {ns} ({e})"))
        })?,
    };
    Ok(Value::string(
        uuid::Uuid::new_v5(&nsid, name.as_bytes()).to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;

    #[test]
    fn hashes_match_terraform() {
        let c = |n: &str, a: &str| call_str(n, &[s(a)]);
        assert_eq!(c("md5", "hello world"), "5eb63bbbe01eeed093cb22bb8f5acdc3");
        assert_eq!(c("md5", ""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(c("md5", "héllo"), "be50e8478cf24ff3595bc7307fb91b50");
        assert_eq!(
            c("sha1", "hello world"),
            "2aae6c35c94fcfb415dbe95f408b9ce91ee846ed"
        );
        assert_eq!(
            c("sha256", "hello world"),
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        assert_eq!(
            c("sha512", "hello world"),
            "309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f"
        );
        assert_eq!(
            c("base64sha256", "hello world"),
            "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="
        );
        assert_eq!(
            c("base64sha256", "日本"),
            "zyq/DFvjJsuSKnD4Fj+RB5xNmqhlXGDq2JrVRcneLpI="
        );
        assert_eq!(
            c("base64sha512", "hello world"),
            "MJ7MSJwS1utMxA9QyQLytNDtd+5RGnx6m808qG1M2G+YndNbxf9JlnDaNCVbRbDP2DDoH2Bdz33FVC6TrpzXbw=="
        );
        let v = call_in(std::path::Path::new("."), "md5", &[s("x").mark_sensitive()]).unwrap();
        assert!(v.is_sensitive());
    }

    #[test]
    fn file_hashes() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("hello.txt"), "Hello World\n").unwrap();
        let c = |n: &str| {
            call_in(d.path(), n, &[s("hello.txt")])
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        };
        assert_eq!(c("filemd5"), "e59ff97941044f85df5297e1c302d260");
        assert_eq!(c("filesha1"), "648a6a6ffffdaa0badb23b8baf90b6168dd16b3a");
        assert_eq!(
            c("filesha256"),
            "d2a84f4b8b650937ec8f73cd8be2c74add5a911ba64df27458ed8229da804a26"
        );
        assert_eq!(
            c("filebase64sha256"),
            "0qhPS4tlCTfsj3PNi+LHSt1akRumTfJ0WO2CKdqASiY="
        );
        assert_eq!(
            c("filebase64sha512"),
            "4cES/5CP68O5ixaTps01ZOr45ebKYp0ITZ8OupkkfKzdcuNp/4lBOXwoB0Cf9mvmS+kI2hete4pJoqJsDoCGqg=="
        );
        let e = call_in(
            std::path::Path::new("."),
            "filemd5",
            &[s("./nope/../missing")],
        )
        .unwrap_err();
        assert_eq!(e.message, "open missing: no such file or directory");
        let e = call_in(d.path(), "filemd5", &[s(".")]).unwrap_err();
        assert!(e.message.ends_with(": is a directory"), "{}", e.message);
    }

    #[test]
    fn uuids() {
        let c = |a: &str, b: &str| call_str("uuidv5", &[s(a), s(b)]);
        assert_eq!(
            c("dns", "www.terraform.io"),
            "a5008fae-b28c-5ba5-96cd-82b4c53552d6"
        );
        assert_eq!(
            c("url", "https://www.terraform.io/"),
            "9db6f67c-dd95-5ea0-aa5b-e70e5c5f7cf5"
        );
        assert_eq!(
            c("oid", "1.3.6.1.4"),
            "af9d40a5-7a36-5c07-b23a-851cd99fbfa5"
        );
        assert_eq!(
            c("x500", "CN=Example,C=GB"),
            "84e09961-4aa4-57f8-95b7-03edb1073253"
        );
        assert_eq!(
            c("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "www.terraform.io"),
            "a5008fae-b28c-5ba5-96cd-82b4c53552d6"
        );
        assert_eq!(
            call_err("uuidv5", &[s("foo"), s("x")]).message,
            "uuidv5() doesn't support namespace foo (invalid UUID length: 3)"
        );
        let u = call_str("uuid", &[]);
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_ne!(u, call_str("uuid", &[]));
    }

    #[test]
    fn bcrypt_like_go() {
        let h = call_str("bcrypt", &[s("hello"), i(4)]);
        assert_eq!(h.len(), 60);
        assert_eq!(&h[..7], "$2a$04$");
        assert!(bcrypt::verify("hello", &h).unwrap());
        let h = call_str("bcrypt", &[s("hello"), i(1)]);
        assert_eq!(&h[..7], "$2a$10$");
        assert_eq!(
            call_err("bcrypt", &[s("x"), i(32)]).message,
            "error occured generating password crypto/bcrypt: bcrypt cost 32 is outside allowed range (4,31)"
        );
        assert_eq!(
            call_err("bcrypt", &[s("x"), i(5), i(6)]).message,
            "bcrypt() takes no more than two arguments"
        );
    }

    #[test]
    fn rsa_errors() {
        let e = call_err("rsadecrypt", &[s("!!"), s("k")]);
        assert_eq!(e.arg, Some(0));
        assert_eq!(
            e.message,
            "failed to decode input \"!!\": cipher text must be base64-encoded"
        );
        let e = call_err("rsadecrypt", &[s("YQ=="), s("k")]);
        assert_eq!(e.arg, Some(1));
        assert_eq!(e.message, "invalid private key: ssh: no key found");
    }
}
