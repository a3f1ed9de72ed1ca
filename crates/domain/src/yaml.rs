//! A YAML tree that remembers where every value was written, so that each problem in
//! a criteria file can be reported at its line and column.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text as written, and whether it was quoted (a quoted `"1"` is still a string).
    Scalar(String, bool),
    Seq(Vec<Node>),
    Map(Vec<(String, Pos, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub value: Value,
}

impl Node {
    pub fn get(&self, key: &str) -> Option<(&Pos, &Node)> {
        match &self.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _, _)| k == key)
                .map(|(_, p, n)| (p, n)),
            _ => None,
        }
    }

    pub fn as_scalar(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(s, false) if s.is_empty() || s == "~" || s == "null")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
}

enum Frame {
    Seq(Pos, Vec<Node>),
    Map(Pos, Vec<(String, Pos, Node)>, Option<(String, Pos)>),
}

struct Builder {
    stack: Vec<Frame>,
    root: Option<Node>,
    error: Option<YamlError>,
}

fn pos(m: Marker) -> Pos {
    Pos {
        line: m.line(),
        col: m.col() + 1,
    }
}

impl Builder {
    fn push_value(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq(_, items)) => items.push(node),
            Some(Frame::Map(_, entries, pending)) => match pending.take() {
                None => match node.value {
                    Value::Scalar(k, _) => {
                        if entries.iter().any(|(e, _, _)| *e == k) && self.error.is_none() {
                            self.error = Some(YamlError {
                                pos: node.pos,
                                message: format!("khóa `{k}` bị lặp lại"),
                            });
                        }
                        *pending = Some((k, node.pos));
                    }
                    _ => {
                        if self.error.is_none() {
                            self.error = Some(YamlError {
                                pos: node.pos,
                                message: "khóa phải là một chuỗi".into(),
                            });
                        }
                        *pending = Some((String::new(), node.pos));
                    }
                },
                Some((k, p)) => entries.push((k, p, node)),
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let p = pos(mark);
        match ev {
            Event::Scalar(s, style, _, _) => {
                let quoted = !matches!(style, TScalarStyle::Plain);
                self.push_value(Node {
                    pos: p,
                    value: Value::Scalar(s, quoted),
                });
            }
            Event::SequenceStart(..) => self.stack.push(Frame::Seq(p, Vec::new())),
            Event::MappingStart(..) => self.stack.push(Frame::Map(p, Vec::new(), None)),
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Frame::Seq(p, items)) => Node {
                        pos: p,
                        value: Value::Seq(items),
                    },
                    Some(Frame::Map(p, entries, _)) => Node {
                        pos: p,
                        value: Value::Map(entries),
                    },
                    None => return,
                };
                self.push_value(node);
            }
            Event::Alias(_) => {
                if self.error.is_none() {
                    self.error = Some(YamlError {
                        pos: p,
                        message: "không hỗ trợ bí danh YAML (*alias)".into(),
                    });
                }
                self.push_value(Node {
                    pos: p,
                    value: Value::Scalar(String::new(), false),
                });
            }
            _ => {}
        }
    }
}

/// Parses one YAML document into a positioned tree.
pub fn parse(text: &str) -> Result<Node, YamlError> {
    let mut b = Builder {
        stack: Vec::new(),
        root: None,
        error: None,
    };
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut b, false).map_err(|e| YamlError {
        pos: pos(*e.marker()),
        message: format!("YAML không hợp lệ: {}", e.info()),
    })?;
    if let Some(e) = b.error {
        return Err(e);
    }
    b.root.ok_or(YamlError {
        pos: Pos { line: 1, col: 1 },
        message: "tệp rỗng".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_positions() {
        let n = parse("id: a\nnodes:\n  - code: \"I\"\n    max: 3.5\n");
        let n = n.ok();
        let nodes = n.as_ref().and_then(|n| n.get("nodes"));
        let first = match nodes.map(|(_, n)| &n.value) {
            Some(Value::Seq(items)) => items.first().cloned(),
            _ => None,
        };
        let max = first.as_ref().and_then(|f| f.get("max"));
        assert_eq!(max.map(|(p, _)| p.line), Some(4));
        assert_eq!(max.and_then(|(_, n)| n.as_scalar()), Some("3.5"));
    }

    #[test]
    fn reports_duplicate_keys_and_syntax() {
        assert_eq!(parse("a: 1\na: 2\n").map_err(|e| e.pos.line), Err(2));
        assert!(parse("a: [1, 2\n").is_err());
    }
}
