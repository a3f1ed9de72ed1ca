//! Command line (`shared/spec/cli.md`): exit 0 on success, 1 on a user error (message on
//! stderr naming file, line and problem), 2 on bad usage.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Parser, Subcommand, ValueEnum};
use parindex_db::{Db, DbError};
use parindex_domain::directive::{KnownUnit, parse_directive};
use parindex_domain::indicators::{parse_indicators_csv, parse_values_csv};
use parindex_domain::mapping::parse_mapping_csv;
use parindex_domain::text::rfc3339_utc;
use parindex_domain::units::parse_units_csv;
use parindex_domain::{
    CriteriaSet, Problems, RankingReport, UnitResult, parse_criteria_yaml, parse_scores_csv,
    rank_units,
};
use parindex_reports::{Cell, Table};

use crate::demo;

#[derive(Parser)]
#[command(
    name = "parindex",
    version,
    about = "Chỉ số cải cách hành chính (PAR INDEX) — chấm điểm, xếp hạng, khắc phục"
)]
struct Cli {
    /// Cơ sở dữ liệu: sqlite://tệp.db (mặc định) hoặc postgres://…
    #[arg(
        long,
        env = "PARINDEX_DB",
        default_value = "sqlite://parindex.db",
        global = true
    )]
    db: String,
    /// Định dạng nhật ký trên stderr.
    #[arg(long, value_enum, default_value = "text", global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Chạy ứng dụng web và API JSON.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Nhập dữ liệu mẫu trước nếu cơ sở dữ liệu chưa có gì.
        #[arg(long)]
        demo: bool,
        /// Thư mục lưu tệp tài liệu kiểm chứng (ngoài thư mục web).
        #[arg(long, env = "PARINDEX_FILES", default_value = "parindex-files")]
        files: String,
        /// Dung lượng tối đa của một tệp tài liệu kiểm chứng, MB.
        #[arg(long, default_value_t = 20)]
        upload_limit_mb: u64,
        /// Đánh dấu cookie phiên là Secure (khi chạy sau HTTPS).
        #[arg(long)]
        secure_cookies: bool,
        /// Cơ quan cấp trên ghi đầu phiếu xin lỗi (dòng đầu của khối tên cơ quan).
        #[arg(long, default_value = parindex_reports::apology::DEMO_GOVERNING_BODY)]
        governing_body: String,
        /// Địa danh ghi trước ngày của phiếu xin lỗi.
        #[arg(long, default_value = parindex_reports::apology::DEMO_PLACE)]
        place: String,
        /// Địa chỉ của máy chủ trung gian (reverse proxy) được tin cậy: chỉ từ địa chỉ này
        /// tiêu đề X-Forwarded-For mới được dùng để nhận ra người truy cập. Lặp lại được.
        #[arg(long = "trusted-proxy")]
        trusted_proxies: Vec<std::net::IpAddr>,
    },
    /// Nhập dữ liệu mẫu (chạy lại nhiều lần không sao).
    Demo,
    /// Bộ chỉ số: kiểm tra hoặc nhập tệp YAML/XLSX.
    Criteria {
        #[command(subcommand)]
        action: CriteriaAction,
    },
    /// Chỉ số theo dõi (bài đăng website, văn bản ký số…): định nghĩa và giá trị theo kỳ.
    Indicators {
        #[command(subcommand)]
        action: IndicatorsAction,
    },
    /// Đơn vị: nhập tệp CSV code,name,parent_code[,kind][,group].
    Units {
        #[command(subcommand)]
        action: UnitsAction,
    },
    /// Điểm: nhập tệp CSV điểm vào một bộ chỉ số.
    Scores {
        #[command(subcommand)]
        action: ScoresAction,
    },
    /// Máy tính ngoại tuyến: tổng điểm, chỉ số, xếp loại, hạng, điểm bị mất (không dùng CSDL).
    Score {
        #[arg(long)]
        criteria: String,
        #[arg(long)]
        scores: String,
        #[arg(long)]
        unit: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: TextFormat,
    },
    /// Thử điểm: điểm, chỉ số, hạng của một đơn vị nếu một số tiêu chí có điểm khác (các đơn vị
    /// khác giữ nguyên); từ cơ sở dữ liệu (--set) hoặc từ tệp (--criteria, --scores).
    Whatif {
        #[arg(long, conflicts_with_all = ["criteria", "scores"])]
        set: Option<String>,
        #[arg(long, requires = "scores")]
        criteria: Option<String>,
        #[arg(long, requires = "criteria")]
        scores: Option<String>,
        #[arg(long)]
        unit: String,
        /// MÃ=ĐIỂM, lặp lại được: `--points I.1.1=1 --points I.8.4=2,5`.
        #[arg(long = "points", required = true)]
        points: Vec<String>,
        #[arg(long, value_enum, default_value = "json")]
        format: WhatIfFormat,
    },
    /// Bảng xếp hạng từ cơ sở dữ liệu.
    Ranking {
        #[arg(long)]
        set: Option<String>,
        #[arg(long)]
        group: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: RankingFormat,
        #[arg(long)]
        output: Option<String>,
    },
    /// Văn bản theo thể thức Nghị định 30/2020/NĐ-CP, dạng PDF hoặc DOCX.
    Report {
        #[command(subcommand)]
        action: ReportAction,
    },
    /// Sao lưu nhất quán cơ sở dữ liệu (SQLite).
    Backup { file: String },
    /// Chu kỳ đánh giá của một bộ chỉ số: xem hoặc chuyển giai đoạn.
    Cycle {
        #[command(subcommand)]
        action: CycleAction,
    },
    /// Tài khoản người dùng.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Nhật ký kiểm tra (audit): kiểm tra chuỗi băm.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Lịch làm việc: tính hạn trả kết quả theo ngày làm việc.
    Calendar {
        #[command(subcommand)]
        action: CalendarAction,
    },
    /// Thủ tục hành chính: nhập danh mục từ CSV.
    Procedures {
        #[command(subcommand)]
        action: ProceduresAction,
    },
    /// Hồ sơ thủ tục hành chính: nhập từ CSV, thống kê đúng hạn/trễ hạn.
    Dossiers {
        #[command(subcommand)]
        action: DossiersAction,
    },
    /// Nhiệm vụ khắc phục: ghi nhận vi phạm.
    Tasks {
        #[command(subcommand)]
        action: TasksAction,
    },
    /// Văn bản chỉ đạo: đọc thông báo, kế hoạch… thành các nhiệm vụ.
    Directive {
        #[command(subcommand)]
        action: DirectiveAction,
    },
}

#[derive(Subcommand)]
enum CycleAction {
    /// Giai đoạn hiện tại và tiến độ của các đơn vị.
    Show {
        #[arg(long)]
        set: String,
    },
    /// Chuyển sang giai đoạn: self_assessment, appraisal, explanation, final_appraisal, published.
    Phase {
        #[arg(long)]
        set: String,
        phase: String,
    },
}

#[derive(Subcommand)]
enum UserAction {
    /// Tạo tài khoản; mật khẩu đọc từ đầu vào chuẩn (stdin).
    Add {
        #[arg(long)]
        username: String,
        /// admin, secretariat, appraiser, leader, focal, division, viewer
        #[arg(long)]
        role: String,
        #[arg(long)]
        unit: Option<String>,
        /// Họ và tên hiển thị (mặc định: tên đăng nhập).
        #[arg(long)]
        name: Option<String>,
        /// Địa chỉ thư để nhận nhắc hạn.
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum AuditAction {
    /// Tính lại chuỗi băm; mã thoát 1 và bản ghi hỏng đầu tiên nếu nhật ký bị sửa.
    Verify {
        /// Mã đầu đã lưu bên ngoài ("N HASH", từ `parindex audit head`): bản ghi N phải
        /// còn đúng mã băm đó.
        #[arg(long)]
        head: Option<String>,
    },
    /// In mã đầu của nhật ký: số bản ghi và mã băm của bản ghi cuối ("N HASH"), để lưu
    /// bên ngoài cơ sở dữ liệu.
    Head,
}

#[derive(Subcommand)]
enum DirectiveAction {
    /// Đọc tệp .txt hoặc .docx và in các mục, đơn vị được giao, tiêu chí, văn bản dẫn chiếu.
    Parse {
        file: String,
        /// Danh sách đơn vị (CSV code,name,parent_code) để nhận ra tên các phòng.
        #[arg(long)]
        units: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: DirectiveFormat,
    },
    /// Đọc văn bản và tạo nhiệm vụ cho các phòng của đơn vị (không qua bước xem trước).
    Import {
        file: String,
        /// Đơn vị ban hành văn bản (các phòng là đơn vị con của nó).
        #[arg(long)]
        unit: String,
    },
}

#[derive(Subcommand)]
enum CalendarAction {
    /// Lịch làm việc riêng của một đơn vị (ví dụ trung tâm làm việc sáng thứ Bảy); không có
    /// tệp và có --clear: bỏ lịch riêng, đơn vị theo lịch chung của tỉnh.
    Unit {
        #[arg(long)]
        unit: String,
        /// Tệp lịch YAML (định dạng như lịch chung).
        file: Option<String>,
        #[arg(long)]
        clear: bool,
        /// Lý do (văn bản căn cứ), ghi vào nhật ký.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Hạn trả kết quả của hồ sơ tiếp nhận lúc --received với thời hạn --days ngày làm việc.
    Due {
        #[arg(long)]
        calendar: String,
        /// "YYYY-MM-DD HH:MM" (giờ địa phương)
        #[arg(long)]
        received: String,
        #[arg(long)]
        days: u32,
    },
}

#[derive(Subcommand)]
enum ProceduresAction {
    /// Nhập (thêm hoặc cập nhật theo mã) tệp CSV hoặc XLSX code,name,unit_code,limit_days[,internal_days,online_level,postal].
    Import { file: String },
}

#[derive(Subcommand)]
enum DossiersAction {
    /// Nhập hồ sơ từ tệp CSV hoặc XLSX (trang đầu); mặc định có lỗi thì không lưu gì.
    Import {
        file: String,
        /// Lịch làm việc để tính hạn khi thiếu due_at (mặc định: lịch 2020–2026 kèm theo).
        #[arg(long)]
        calendar: Option<String>,
        /// Lưu các dòng đúng, ghi các dòng lỗi kèm lý do vào FILE.rejected.csv.
        #[arg(long)]
        skip_invalid: bool,
        /// Tệp YAML ánh xạ tên cột của tệp xuất (columns: {code: "Số hồ sơ", …}).
        #[arg(long)]
        columns: Option<String>,
        /// Nhập riêng (tệp SQLite không được mở ở nơi khác, như máy chủ web): ghi thẳng vào
        /// tệp, không qua nhật ký WAL, nhanh hơn với tệp lớn; trong lúc nhập không ai đọc được.
        #[arg(long)]
        exclusive: bool,
    },
    /// Hồ sơ chưa có kết quả, chưa có phiếu xin lỗi, đến hạn trong --days ngày làm việc.
    DueSoon {
        #[arg(long)]
        unit: Option<String>,
        /// Thời điểm tính, "YYYY-MM-DD HH:MM".
        #[arg(long)]
        as_of: String,
        #[arg(long, default_value_t = 2)]
        days: u32,
        #[arg(long)]
        calendar: Option<String>,
    },
    /// Lập phiếu xin lỗi và hẹn lại ngày trả kết quả (DOCX, hoặc PDF khi tệp ra có đuôi .pdf) cho hồ sơ trễ hoặc sắp trễ hạn; ghi nhận ngày hẹn lại (chỉ một lần).
    Apology {
        #[arg(long)]
        unit: String,
        /// Mã hồ sơ.
        #[arg(long)]
        code: String,
        /// Lý do chậm.
        #[arg(long)]
        reason: String,
        /// Ngày giờ hẹn lại, "YYYY-MM-DD HH:MM".
        #[arg(long)]
        new_due: String,
        /// Thời điểm lập phiếu (mặc định: bây giờ), "YYYY-MM-DD HH:MM".
        #[arg(long)]
        at: Option<String>,
        /// Người/tổ chức nhận phiếu (Kính gửi).
        #[arg(long, default_value = "")]
        applicant: String,
        /// Chức danh người ký, ví dụ "Giám đốc".
        #[arg(long, default_value = "")]
        signer_title: String,
        #[arg(long, default_value = "")]
        signer_name: String,
        /// Cơ quan cấp trên (dòng đầu của khối tên cơ quan).
        #[arg(long, default_value = parindex_reports::apology::DEMO_GOVERNING_BODY)]
        governing_body: String,
        #[arg(long, default_value = parindex_reports::apology::DEMO_PLACE)]
        place: String,
        /// Tệp DOCX ghi ra.
        #[arg(long)]
        output: String,
        #[arg(long)]
        calendar: Option<String>,
    },
    /// Thống kê hồ sơ tiếp nhận trong [--from, --to].
    Stats {
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// Thời điểm xét quá hạn, "YYYY-MM-DD HH:MM".
        #[arg(long)]
        as_of: String,
        #[arg(long, value_enum, default_value = "table")]
        format: StatsFormat,
    },
    /// Báo cáo định kỳ tình hình giải quyết TTHC theo kỳ của Nghị định 09/2019 (từ ngày 15
    /// tháng trước đến ngày 14 tháng cuối kỳ): kỳ trước chuyển qua, tiếp nhận, đã giải quyết,
    /// đang giải quyết. Không có --unit: mọi đơn vị, mỗi đơn vị một dòng.
    Report {
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        year: i32,
        #[arg(long, conflicts_with_all = ["quarter", "half", "annual"])]
        month: Option<u8>,
        #[arg(long, conflicts_with_all = ["half", "annual"])]
        quarter: Option<u8>,
        #[arg(long, conflicts_with = "annual")]
        half: Option<u8>,
        #[arg(long)]
        annual: bool,
        #[arg(long, value_enum, default_value = "json")]
        format: PeriodFormat,
        /// Tệp ghi ra (bắt buộc với xlsx, docx, pdf; json và csv in ra màn hình khi không có).
        #[arg(long)]
        output: Option<String>,
        #[arg(long, default_value = parindex_reports::apology::DEMO_GOVERNING_BODY)]
        governing_body: String,
        #[arg(long, default_value = parindex_reports::apology::DEMO_PLACE)]
        place: String,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum PeriodFormat {
    Json,
    Xlsx,
    Csv,
    Docx,
    Pdf,
}

#[derive(Clone, Copy, ValueEnum)]
enum StatsFormat {
    Table,
    Json,
}

#[derive(Subcommand)]
enum TasksAction {
    /// Ghi nhận vi phạm: mọi kỳ quá hạn chưa hoàn thành (mặc định: hôm nay).
    Sweep {
        #[arg(long)]
        today: Option<String>,
    },
    /// Nhắc hạn (7, 3, 1 ngày trước), báo quá hạn, rồi báo trưởng phòng và Giám đốc; gửi thư nếu có --smtp.
    Remind {
        #[arg(long)]
        today: Option<String>,
        /// Máy chủ chuyển thư, ví dụ smtp://127.0.0.1:25
        #[arg(long, env = "PARINDEX_SMTP")]
        smtp: Option<String>,
        #[arg(long, default_value = "parindex@localhost")]
        mail_from: String,
        /// Số ngày quá hạn thì báo trưởng phòng, rồi báo Giám đốc.
        #[arg(long, default_value_t = 3)]
        head_after: i64,
        #[arg(long, default_value_t = 7)]
        director_after: i64,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum DirectiveFormat {
    Table,
    Json,
}

#[derive(Subcommand)]
enum CriteriaAction {
    Check {
        file: String,
    },
    Import {
        file: String,
    },
    /// Ghép tiêu chí của bộ năm trước (FROM) với bộ năm nay (TO): đề xuất theo mã và theo
    /// tên (không phân biệt dấu); những dòng đã lưu được giữ. `--save` lưu đề xuất (không
    /// đè lựa chọn bằng tay); `--file` nhập tệp CSV to_code,from_code đã sửa.
    Map {
        from: String,
        to: String,
        #[arg(long, value_enum, default_value = "table")]
        format: TextFormat,
        #[arg(long)]
        save: bool,
        #[arg(long)]
        file: Option<String>,
    },
}

#[derive(Subcommand)]
enum IndicatorsAction {
    /// Định nghĩa chỉ số: CSV code,name,measure,period,aggregation,target,source.
    Define { file: String },
    /// Giá trị theo đơn vị và kỳ: CSV hoặc XLSX unit_code,indicator,period,value[,note];
    /// sau đó tính lại các tiêu chí đọc chỉ số (input: indicator.…).
    Import { file: String },
}

#[derive(Subcommand)]
enum UnitsAction {
    Import {
        file: String,
    },
    /// Sắp xếp lại đơn vị: CSV effective,change,from_code,to_code,to_name[,kind,group]
    /// (sáp nhập, chia tách, đổi tên); đơn vị cũ hết hiệu lực trước ngày thay đổi.
    Changes {
        file: String,
    },
}

#[derive(Subcommand)]
enum ScoresAction {
    Import {
        #[arg(long)]
        set: String,
        file: String,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum TextFormat {
    Table,
    Json,
    Csv,
}

#[derive(Subcommand)]
enum ReportAction {
    /// Phụ lục kết quả xếp hạng: mọi đơn vị với tổng điểm, chỉ số, hạng, xếp loại, theo nhóm.
    Ranking {
        #[arg(long)]
        set: String,
        #[arg(long)]
        group: Option<String>,
        #[command(flatten)]
        out: DocumentOut,
    },
    /// Báo cáo kết quả công tác CCHC của một đơn vị trong kỳ (quý, 6 tháng, năm; kỳ tính từ
    /// ngày 15 tháng trước đến ngày 14 tháng cuối kỳ).
    Unit {
        #[arg(long)]
        unit: String,
        #[arg(long)]
        year: i32,
        #[arg(long, conflicts_with_all = ["half", "annual"])]
        quarter: Option<u8>,
        #[arg(long, conflicts_with = "annual")]
        half: Option<u8>,
        #[arg(long)]
        annual: bool,
        /// Tệp văn bản các phần tự viết: dòng `# chi-dao`, `# the-che`, `# thu-tuc`,
        /// `# bo-may`, `# cong-vu`, `# tai-chinh`, `# so`, `# ton-tai`, `# nhiem-vu` mở một
        /// phần, các dòng sau là các đoạn văn của phần đó.
        #[arg(long)]
        narrative: Option<String>,
        #[command(flatten)]
        out: DocumentOut,
    },
    /// Báo cáo tự đánh giá của một đơn vị: từng tiêu chí với điểm tự chấm và tài liệu kiểm chứng.
    SelfAssessment {
        #[arg(long)]
        set: String,
        #[arg(long)]
        unit: String,
        #[command(flatten)]
        out: DocumentOut,
    },
}

/// Where a document goes and how it is headed.
#[derive(clap::Args)]
struct DocumentOut {
    #[arg(long, value_enum)]
    format: DocumentFormat,
    #[arg(long)]
    output: String,
    /// Cơ quan chủ quản ghi đầu văn bản khi đơn vị ban hành không có cấp trên trong danh sách.
    #[arg(long, default_value = parindex_reports::apology::DEMO_GOVERNING_BODY)]
    governing_body: String,
    /// Địa danh ghi trước ngày tháng.
    #[arg(long, default_value = parindex_reports::apology::DEMO_PLACE)]
    place: String,
    /// Ngày ban hành (dd/mm/yyyy); mặc định hôm nay.
    #[arg(long)]
    date: Option<String>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum DocumentFormat {
    Pdf,
    Docx,
}

impl DocumentOut {
    fn issue(&self) -> Result<parindex_services::documents::Issue, Fail> {
        let date = match &self.date {
            Some(d) => parindex_domain::text::Date::parse(d)
                .ok_or_else(|| Fail(2, format!("--date `{d}`: cần ngày dạng dd/mm/yyyy")))?,
            // Today on the wall clock of Việt Nam (UTC+7).
            None => crate::dossiers_cli::local_now().date,
        };
        Ok(parindex_services::documents::Issue {
            governing_body: self.governing_body.clone(),
            place: self.place.clone(),
            date,
        })
    }

    fn write(&self, doc: &parindex_documents::Document) -> Result<(), Fail> {
        let format = match self.format {
            DocumentFormat::Pdf => parindex_documents::Format::Pdf,
            DocumentFormat::Docx => parindex_documents::Format::Docx,
        };
        let bytes = parindex_documents::render(doc, format)
            .map_err(|e| Fail(1, format!("không tạo được văn bản: {e}")))?;
        std::fs::write(&self.output, bytes)
            .map_err(|e| Fail(1, format!("{}: không ghi được tệp: {e}", self.output)))
    }
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum WhatIfFormat {
    Table,
    Json,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum RankingFormat {
    Table,
    Json,
    Csv,
    Xlsx,
}

/// A failure with its exit code: 1 for the user's input, 2 for usage.
pub(crate) struct Fail(pub(crate) u8, pub(crate) String);

impl From<DbError> for Fail {
    fn from(e: DbError) -> Self {
        Fail(1, e.to_string())
    }
}

impl From<Problems> for Fail {
    fn from(p: Problems) -> Self {
        Fail(1, p.to_string())
    }
}

type Res = Result<(), Fail>;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("không khởi động được: {e}");
            return ExitCode::from(1);
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail(code, msg)) => {
            eprintln!("{msg}");
            ExitCode::from(code)
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("PARINDEX_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// The audit trail's actor for command-line changes: `cli:<system user>`.
pub(crate) fn cli_actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "local".into());
    format!("cli:{user}")
}

pub(crate) fn now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    rfc3339_utc(secs)
}

pub(crate) async fn open_db(url: &str) -> Result<Db, Fail> {
    let db = Db::connect(url).await.map_err(|e| {
        Fail(
            1,
            format!("không mở được cơ sở dữ liệu {}: {e}", redact(url)),
        )
    })?;
    tracing::info!(db = %redact(url), "cơ sở dữ liệu sẵn sàng");
    Ok(db)
}

/// Hides a password in a database URL before it is logged.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

pub(crate) fn read_text(path: &str) -> Result<String, Fail> {
    let bytes =
        std::fs::read(path).map_err(|e| Fail(1, format!("{path}: không đọc được tệp: {e}")))?;
    String::from_utf8(bytes).map_err(|_| Fail(1, format!("{path}: tệp không phải văn bản UTF-8")))
}

fn read_criteria(path: &str) -> Result<CriteriaSet, Fail> {
    let lower = path.to_ascii_lowercase();
    if Path::new(&lower)
        .extension()
        .is_some_and(|e| e == "xlsx" || e == "xls" || e == "ods")
    {
        let bytes =
            std::fs::read(path).map_err(|e| Fail(1, format!("{path}: không đọc được tệp: {e}")))?;
        Ok(parindex_reports::criteria_xlsx::read_criteria_xlsx(
            path, &bytes,
        )?)
    } else {
        Ok(parse_criteria_yaml(path, &read_text(path)?)?)
    }
}

fn print_out(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes());
    let _ = out.flush();
}

async fn run(cli: Cli) -> Res {
    match cli.command {
        Command::Serve {
            addr,
            demo,
            files,
            upload_limit_mb,
            secure_cookies,
            governing_body,
            place,
            trusted_proxies,
        } => {
            serve(
                &cli.db,
                addr,
                demo,
                ServeOptions {
                    files,
                    upload_limit_mb,
                    secure_cookies,
                    governing_body,
                    place,
                    trusted_proxies,
                },
            )
            .await
        }
        Command::Demo => {
            let db = open_db(&cli.db).await?;
            let msg = demo::load(&db, &now()).await.map_err(|e| Fail(1, e))?;
            println!("{msg}");
            Ok(())
        }
        Command::Criteria {
            action: CriteriaAction::Check { file },
        } => {
            let set = read_criteria(&file)?;
            println!("{}", summary(&set));
            Ok(())
        }
        Command::Criteria {
            action: CriteriaAction::Import { file },
        } => {
            let set = read_criteria(&file)?;
            let db = open_db(&cli.db).await?;
            let outcome = db
                .store_criteria_set(&set, &set.to_yaml(), &cli_actor(), &now())
                .await?;
            let what = match outcome {
                parindex_db::StoreOutcome::Created => "Đã nhập",
                parindex_db::StoreOutcome::Replaced => "Đã thay thế",
                parindex_db::StoreOutcome::Unchanged => "Không thay đổi",
            };
            println!("{what}: {}", summary(&set));
            Ok(())
        }
        Command::Criteria {
            action:
                CriteriaAction::Map {
                    from,
                    to,
                    format,
                    save,
                    file,
                },
        } => {
            let db = open_db(&cli.db).await?;
            let load = |id: String| {
                let db = db.clone();
                async move {
                    db.load_set(&id)
                        .await?
                        .ok_or_else(|| Fail(1, format!("không tìm thấy bộ chỉ số `{id}`")))
                }
            };
            let (from_set, to_set) = (load(from.clone()).await?, load(to.clone()).await?);
            if let Some(f) = &file {
                let rows = parse_mapping_csv(f, &read_text(f)?, &from_set, &to_set)?;
                // A row as the mapping already has it (an exported file sent back) is no
                // change: only the edited rows become a person's choice.
                let now_in_force = db.mapping_in_force(&from_set, &to_set).await?;
                let rows: Vec<_> = rows
                    .into_iter()
                    .filter(|r| {
                        now_in_force
                            .iter()
                            .find(|m| m.to == r.to)
                            .is_none_or(|m| m.from != r.from)
                    })
                    .collect();
                let n = db
                    .save_mapping(&from, &to, &rows, false, &cli_actor(), &now())
                    .await?;
                eprintln!("Đã lưu {n} dòng ghép thay đổi từ {f}.");
            }
            if save {
                // The proposal around what is stored: a person's rows stay as they are.
                let proposal = db.mapping_in_force(&from_set, &to_set).await?;
                let n = db
                    .save_mapping(&from, &to, &proposal, true, &cli_actor(), &now())
                    .await?;
                eprintln!("Đã lưu {n} dòng đề xuất (giữ các dòng chọn bằng tay).");
            }
            let rows = db.mapping_in_force(&from_set, &to_set).await?;
            print_out(&mapping_text(&from_set, &to_set, &rows, format)?);
            Ok(())
        }
        Command::Indicators {
            action: IndicatorsAction::Define { file },
        } => {
            let defs = parse_indicators_csv(&file, &read_text(&file)?)?;
            let db = open_db(&cli.db).await?;
            let n = db.define_indicators(&defs, &cli_actor(), &now()).await?;
            println!("Đã đọc {} chỉ số, {n} mới hoặc thay đổi.", defs.len());
            Ok(())
        }
        Command::Indicators {
            action: IndicatorsAction::Import { file },
        } => {
            let db = open_db(&cli.db).await?;
            let defs = db.indicators().await?;
            let text = if file.to_ascii_lowercase().ends_with(".xlsx") {
                let bytes = std::fs::read(&file)
                    .map_err(|e| Fail(1, format!("{file}: không đọc được tệp: {e}")))?;
                parindex_reports::sheet_csv::xlsx_text(bytes, 256 * 1024 * 1024)
                    .map_err(|e| Fail(1, format!("{file}: {e}")))?
            } else {
                read_text(&file)?
            };
            let values = parse_values_csv(&file, &text, &defs)?;
            let n = match db.set_indicator_values(&values, &cli_actor(), &now()).await {
                Ok(n) => n,
                Err(DbError::UnknownUnits(missing)) => {
                    return Err(Fail(
                        1,
                        missing
                            .iter()
                            .map(|(code, line)| {
                                format!(
                                    "{file}:{line}: {}",
                                    parindex_domain::units::unknown_unit(code)
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("\n"),
                    ));
                }
                Err(e) => return Err(e.into()),
            };
            println!("Đã nhập {} giá trị, {n} mới hoặc thay đổi.", values.len());
            for c in db.refresh_indicator_leaves(&cli_actor(), &now()).await? {
                println!(
                    "Điểm tự tính: {} / {} / {} ← {}",
                    c.set_id, c.unit_code, c.criterion, c.input
                );
            }
            Ok(())
        }
        Command::Units {
            action: UnitsAction::Changes { file },
        } => {
            let db = open_db(&cli.db).await?;
            let units = db.unit_rows().await?;
            let (changes, rows) =
                parindex_domain::reorg::parse_changes_csv(&file, &read_text(&file)?, &units)?;
            let r = db
                .apply_unit_changes(&changes, &rows, &cli_actor(), &now())
                .await?;
            println!(
                "Đã ghi {} thay đổi: {} đơn vị mới, {} cập nhật, {} đổi tên (tên cũ được lưu lại).",
                changes.len(),
                r.created,
                r.updated,
                r.renamed
            );
            Ok(())
        }
        Command::Units {
            action: UnitsAction::Import { file },
        } => {
            let rows = parse_units_csv(&file, &read_text(&file)?)?;
            let db = open_db(&cli.db).await?;
            let r = db.upsert_units(&rows, &cli_actor(), &now()).await?;
            println!(
                "Đã nhập {} đơn vị: {} mới, {} cập nhật, {} đổi tên (tên cũ được lưu lại).",
                rows.len(),
                r.created,
                r.updated,
                r.renamed
            );
            Ok(())
        }
        Command::Scores {
            action: ScoresAction::Import { set, file },
        } => {
            let db = open_db(&cli.db).await?;
            let stored = db
                .load_set(&set)
                .await?
                .ok_or_else(|| Fail(1, format!("không tìm thấy bộ chỉ số `{set}` (xem: parindex ranking, hoặc nhập bằng parindex criteria import)")))?;
            let units = parse_scores_csv(&file, &read_text(&file)?, &stored)?;
            match db.import_scores(&stored, &units, &cli_actor(), &now()).await {
                Ok(s) => {
                    println!("Đã nhập {} điểm tiêu chí của {} đơn vị vào {set}.", s.leaves, s.units);
                    Ok(())
                }
                Err(DbError::UnknownUnits(missing)) => Err(Fail(
                    1,
                    missing
                        .iter()
                        .map(|(code, line)| format!("{file}:{line}: đơn vị `{code}` chưa có trong danh sách đơn vị (nhập bằng parindex units import)"))
                        .collect::<Vec<_>>()
                        .join("\n"),
                )),
                Err(e) => Err(e.into()),
            }
        }
        Command::Score {
            criteria,
            scores,
            unit,
            format,
        } => {
            let set = read_criteria(&criteria)?;
            let units = parse_scores_csv(&scores, &read_text(&scores)?, &set)?;
            let results = rank_units(&set, &units);
            let mut report = RankingReport::new(&set, &results);
            if let Some(code) = &unit {
                let u = units.iter().find(|u| &u.unit_code == code).ok_or_else(|| {
                    Fail(1, format!("{scores}: không có điểm của đơn vị `{code}`"))
                })?;
                report = report.with_leaves(&set, u);
            }
            emit(&set, &results, &report, format)
        }
        Command::Whatif {
            set,
            criteria,
            scores,
            unit,
            points,
            format,
        } => {
            let changes = points
                .iter()
                .map(|p| parindex_domain::whatif::parse_change(p))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|m| Fail(2, m))?;
            let (stored, units) = match (set, criteria, scores) {
                (Some(set_id), None, None) => {
                    let db = open_db(&cli.db).await?;
                    let stored = db
                        .load_set(&set_id)
                        .await?
                        .ok_or_else(|| Fail(1, format!("không tìm thấy bộ chỉ số `{set_id}`")))?;
                    let units = db.load_scores(&stored).await?;
                    (stored, units)
                }
                (None, Some(criteria), Some(scores)) => {
                    let stored = read_criteria(&criteria)?;
                    let units = parse_scores_csv(&scores, &read_text(&scores)?, &stored)?;
                    (stored, units)
                }
                _ => {
                    return Err(Fail(
                        2,
                        "cần --set ID, hoặc --criteria TỆP --scores TỆP".into(),
                    ));
                }
            };
            let answer = parindex_domain::whatif::what_if(&stored, &units, &unit, &changes)
                .map_err(|m| Fail(1, m))?;
            match format {
                WhatIfFormat::Json => {
                    let text = serde_json::to_string_pretty(&answer)
                        .map_err(|e| Fail(1, format!("không tạo được JSON: {e}")))?;
                    print_out(&(text + "\n"));
                }
                WhatIfFormat::Table => {
                    let vi = |s: &str| s.replace('.', ",");
                    let line = |label: &str, s: &parindex_domain::whatif::Standing| {
                        format!(
                            "{label}: {} điểm, chỉ số {}%, hạng {}/{}{}\n",
                            vi(&s.score),
                            vi(&s.index),
                            s.rank,
                            s.of,
                            s.band
                                .as_deref()
                                .map(|b| format!(", {b}"))
                                .unwrap_or_default()
                        )
                    };
                    let mut out = line("Hiện nay", &answer.before);
                    out.push_str(&line("Nếu đổi điểm", &answer.after));
                    if !answer.overtakes.is_empty() {
                        out = format!("{out}Vượt lên trên: {}\n", answer.overtakes.join(", "));
                    }
                    print_out(&out);
                }
            }
            Ok(())
        }
        Command::Ranking {
            set,
            group,
            format,
            output,
        } => {
            let db = open_db(&cli.db).await?;
            let set_id = match set {
                Some(s) => s,
                None => db
                    .newest_set_id()
                    .await?
                    .ok_or_else(|| Fail(1, "chưa có bộ chỉ số nào trong cơ sở dữ liệu".into()))?,
            };
            let (stored, results) = ranked(&db, &set_id, group.as_deref()).await?;
            let report = RankingReport::new(&stored, &results);
            let table = ranking_table(&stored, &results);
            let bytes = match format {
                RankingFormat::Xlsx => {
                    if output.is_none() {
                        return Err(Fail(2, "--format xlsx cần --output TỆP.xlsx".into()));
                    }
                    table
                        .to_xlsx()
                        .map_err(|e| Fail(1, format!("không tạo được XLSX: {e}")))?
                }
                RankingFormat::Json => json(&report)?.into_bytes(),
                RankingFormat::Csv => table.to_csv().into_bytes(),
                RankingFormat::Table => text_table(&table, RANKING_HEADS).into_bytes(),
            };
            match output {
                Some(path) => std::fs::write(&path, bytes)
                    .map_err(|e| Fail(1, format!("{path}: không ghi được tệp: {e}"))),
                None => {
                    print_out(&String::from_utf8_lossy(&bytes));
                    Ok(())
                }
            }
        }
        Command::User {
            action:
                UserAction::Add {
                    username,
                    role,
                    unit,
                    name,
                    email,
                    password_stdin,
                },
        } => {
            if !password_stdin {
                return Err(Fail(
                    2,
                    "cần --password-stdin (mật khẩu không được ghi trên dòng lệnh)".into(),
                ));
            }
            let mut password = String::new();
            std::io::stdin()
                .read_line(&mut password)
                .map_err(|e| Fail(1, format!("không đọc được mật khẩu từ stdin: {e}")))?;
            let password = password.trim_end_matches(['\r', '\n']);
            let role = parindex_services::passwords::validate_new_user(
                &username,
                &role,
                unit.as_deref(),
                password,
            )
            .map_err(|m| Fail(1, m))?;
            let hash =
                parindex_services::passwords::hash_password(password).map_err(|m| Fail(1, m))?;
            let db = open_db(&cli.db).await?;
            let new = parindex_db::NewUser {
                username: &username,
                display_name: name.as_deref().unwrap_or(&username),
                password_hash: &hash,
                role,
                unit_code: unit.as_deref(),
            };
            if let Some(e) = &email
                && (!e.contains('@') || e.contains(char::is_whitespace))
            {
                return Err(Fail(1, format!("địa chỉ thư `{e}` không hợp lệ")));
            }
            match db.create_user(&new, &cli_actor(), &now()).await {
                Ok(_) => {
                    if let Some(e) = &email {
                        db.set_user_email(&username, Some(e), &cli_actor(), &now())
                            .await?;
                    }
                    println!("Đã tạo tài khoản {username} ({}).", role.label_vi());
                    Ok(())
                }
                Err(DbError::UnknownUnits(_)) => Err(Fail(
                    1,
                    format!(
                        "đơn vị `{}` chưa có trong danh sách đơn vị",
                        unit.unwrap_or_default()
                    ),
                )),
                Err(e) => Err(e.into()),
            }
        }
        Command::Cycle { action } => {
            let db = open_db(&cli.db).await?;
            match action {
                CycleAction::Phase { set, phase } => {
                    let p = parindex_domain::cycle::Phase::parse(&phase).ok_or_else(|| {
                        Fail(2, format!("giai đoạn `{phase}` không hợp lệ (self_assessment, appraisal, explanation, final_appraisal, published)"))
                    })?;
                    db.set_phase(&set, p, &cli_actor(), &now()).await?;
                    println!("Bộ chỉ số {set}: giai đoạn {}.", p.label_vi());
                }
                CycleAction::Show { set } => {
                    let phase = db.phase(&set).await?;
                    println!(
                        "Bộ chỉ số {set}: {}",
                        phase.map_or(
                            "chưa mở chu kỳ (bản nháp)",
                            parindex_domain::cycle::Phase::label_vi
                        )
                    );
                    for p in db.progress(&set).await? {
                        println!(
                            "  {:<10} {:<40} {:>4} tiêu chí đã chấm  {}",
                            p.unit_code,
                            p.unit_name,
                            p.leaves_scored,
                            p.submitted_at
                                .map_or_else(|| "chưa gửi".to_string(), |s| format!("đã gửi {s}"))
                        );
                    }
                }
            }
            Ok(())
        }
        Command::Audit {
            action: AuditAction::Head,
        } => {
            let db = open_db(&cli.db).await?;
            let (n, hash) = db.audit_head().await?;
            println!("{n} {hash}");
            Ok(())
        }
        Command::Audit {
            action: AuditAction::Verify { head },
        } => {
            let db = open_db(&cli.db).await?;
            let check = match head.as_deref() {
                None => db.verify_audit().await?,
                Some(h) => {
                    let (n, hash) = h
                        .trim()
                        .split_once(' ')
                        .and_then(|(n, hash)| Some((n.parse::<i64>().ok()?, hash.trim())))
                        .filter(|(_, hash)| {
                            hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit())
                        })
                        .ok_or_else(|| {
                            Fail(
                                2,
                                format!(
                                    "--head `{h}` không hợp lệ: cần \"SỐ MÃ\" như `parindex audit head` in ra"
                                ),
                            )
                        })?;
                    db.verify_audit_against((n, hash)).await?
                }
            };
            match check {
                parindex_db::AuditCheck::Intact { records } => {
                    println!("Nhật ký toàn vẹn: {records} bản ghi, chuỗi băm khớp.");
                    Ok(())
                }
                parindex_db::AuditCheck::Broken { record, reason } => Err(Fail(
                    1,
                    format!("Nhật ký bị sửa: bản ghi số {record}: {reason}"),
                )),
            }
        }
        Command::Directive {
            action:
                DirectiveAction::Parse {
                    file,
                    units,
                    format,
                },
        } => parse_directive_file(&file, units.as_deref(), format),
        Command::Directive {
            action: DirectiveAction::Import { file, unit },
        } => {
            let db = open_db(&cli.db).await?;
            let text = directive_text(&file)?;
            let name = Path::new(&file)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned());
            let (tasks, occurrences) = parindex_services::directives::import_directive(
                &db,
                &unit,
                &text,
                name.as_deref(),
                &cli_actor(),
                &now(),
            )
            .await
            .map_err(|e| Fail(1, format!("{file}: {e}")))?;
            println!(
                "Đã tạo {tasks} nhiệm vụ ({occurrences} kỳ thực hiện) cho các phòng của {unit}."
            );
            Ok(())
        }
        Command::Tasks {
            action:
                TasksAction::Remind {
                    today,
                    smtp,
                    mail_from,
                    head_after,
                    director_after,
                },
        } => {
            let db = open_db(&cli.db).await?;
            let now = now();
            let day = match today {
                Some(t) => parindex_domain::text::Date::parse(&t)
                    .ok_or_else(|| Fail(2, format!("ngày `{t}` không hợp lệ")))?,
                None => parindex_domain::text::Date::parse(&now[..10])
                    .ok_or_else(|| Fail(1, "đồng hồ hệ thống".into()))?,
            };
            let mailer = match smtp {
                Some(url) => Some(
                    parindex_services::mail::Mailer::new(&url, &mail_from)
                        .map_err(|e| Fail(2, e))?,
                ),
                None => None,
            };
            let cfg = parindex_domain::followup::FollowUp {
                head_after,
                director_after,
                ..Default::default()
            };
            let s = parindex_services::mail::run_followups(&db, mailer.as_ref(), &cfg, day, &now)
                .await
                .map_err(|e| Fail(1, e))?;
            println!(
                "Ngày {}: {} thông báo mới, {} thư đã gửi{}.",
                day.to_vi(),
                s.notifications,
                s.emails,
                if s.failures > 0 {
                    format!(", {} thư không gửi được", s.failures)
                } else {
                    String::new()
                }
            );
            if s.failures > 0 {
                Err(Fail(1, "có thư không gửi được (xem nhật ký)".into()))
            } else {
                Ok(())
            }
        }
        Command::Calendar {
            action:
                CalendarAction::Unit {
                    unit,
                    file,
                    clear,
                    reason,
                },
        } => {
            let yaml = match (file, clear) {
                (Some(f), false) => {
                    let text = read_text(&f)?;
                    parindex_domain::calendar::parse_calendar(&f, &text)?;
                    Some(text)
                }
                (None, true) => None,
                _ => {
                    return Err(Fail(2, "cần một tệp lịch, hoặc --clear".into()));
                }
            };
            let db = open_db(&cli.db).await?;
            db.set_unit_calendar(&unit, yaml.as_deref(), "cli", &now(), &reason)
                .await?;
            match yaml {
                Some(_) => println!("đã lưu lịch riêng của {unit}"),
                None => println!("{unit} theo lịch chung của tỉnh"),
            }
            Ok(())
        }
        Command::Calendar {
            action:
                CalendarAction::Due {
                    calendar,
                    received,
                    days,
                },
        } => {
            let cal = parindex_domain::calendar::parse_calendar(&calendar, &read_text(&calendar)?)?;
            let t = parindex_domain::calendar::Instant::parse(&received).ok_or_else(|| {
                Fail(
                    2,
                    format!("thời điểm `{received}` phải có dạng YYYY-MM-DD HH:MM"),
                )
            })?;
            let due = cal
                .due_instant(t, days)
                .map_err(|e| Fail(1, format!("{calendar}: {e}")))?;
            println!("{}", due.to_iso());
            Ok(())
        }
        Command::Procedures {
            action: ProceduresAction::Import { file },
        } => crate::dossiers_cli::import_procedures(&cli.db, &file).await,
        Command::Dossiers {
            action:
                DossiersAction::Import {
                    file,
                    calendar,
                    skip_invalid,
                    columns,
                    exclusive,
                },
        } => {
            crate::dossiers_cli::import_dossiers(
                &cli.db,
                &file,
                calendar.as_deref(),
                skip_invalid,
                columns.as_deref(),
                if exclusive {
                    parindex_db::WriteAccess::Exclusive
                } else {
                    parindex_db::WriteAccess::Shared
                },
            )
            .await
        }
        Command::Dossiers {
            action:
                DossiersAction::DueSoon {
                    unit,
                    as_of,
                    days,
                    calendar,
                },
        } => {
            crate::dossiers_cli::due_soon(
                &cli.db,
                unit.as_deref(),
                &as_of,
                days,
                calendar.as_deref(),
            )
            .await
        }
        Command::Dossiers {
            action:
                DossiersAction::Apology {
                    unit,
                    code,
                    reason,
                    new_due,
                    at,
                    applicant,
                    signer_title,
                    signer_name,
                    governing_body,
                    place,
                    output,
                    calendar,
                },
        } => {
            let slip = crate::dossiers_cli::SlipArgs {
                unit,
                code,
                reason,
                new_due,
                at,
                applicant,
                signer_title,
                signer_name,
                governing_body,
                place,
            };
            crate::dossiers_cli::apology(&cli.db, &slip, &output, calendar.as_deref()).await
        }
        Command::Dossiers {
            action:
                DossiersAction::Stats {
                    unit,
                    from,
                    to,
                    as_of,
                    format,
                },
        } => {
            crate::dossiers_cli::stats(
                &cli.db,
                unit.as_deref(),
                &from,
                &to,
                &as_of,
                matches!(format, StatsFormat::Json),
            )
            .await
        }
        Command::Dossiers {
            action:
                DossiersAction::Report {
                    unit,
                    year,
                    month,
                    quarter,
                    half,
                    annual,
                    format,
                    output,
                    governing_body,
                    place,
                },
        } => {
            use parindex_domain::period::{Period, PeriodKind};
            let kind = match (month, quarter, half, annual) {
                (Some(m), None, None, false) => PeriodKind::Month(m),
                (None, Some(q), None, false) => PeriodKind::Quarter(q),
                (None, None, Some(h), false) => PeriodKind::Half(h),
                (None, None, None, true) => PeriodKind::Year,
                _ => {
                    return Err(Fail(
                        2,
                        "cần một trong --month M, --quarter Q, --half H, --annual".into(),
                    ));
                }
            };
            let period = Period::new(year, kind).map_err(|m| Fail(2, m))?;
            let issue = parindex_services::documents::Issue {
                governing_body,
                place,
                date: crate::dossiers_cli::local_now().date,
            };
            let out = crate::dossiers_cli::PeriodOut {
                format: match format {
                    PeriodFormat::Json => "json",
                    PeriodFormat::Xlsx => "xlsx",
                    PeriodFormat::Csv => "csv",
                    PeriodFormat::Docx => "docx",
                    PeriodFormat::Pdf => "pdf",
                },
                output: output.as_deref(),
                issue,
            };
            crate::dossiers_cli::period_report(&cli.db, unit.as_deref(), period, &out).await
        }
        Command::Tasks {
            action: TasksAction::Sweep { today },
        } => {
            let db = open_db(&cli.db).await?;
            let now = now();
            let today = match today {
                Some(t) => parindex_domain::text::Date::parse(&t)
                    .ok_or_else(|| Fail(2, format!("ngày `{t}` không hợp lệ")))?
                    .to_iso(),
                None => now[..10].to_string(),
            };
            let n = db.sweep_violations(&today, &now).await?;
            println!("Đã ghi nhận {n} vi phạm mới (kỳ quá hạn đến ngày {today}).");
            Ok(())
        }
        Command::Report {
            action: ReportAction::Ranking { set, group, out },
        } => {
            let db = open_db(&cli.db).await?;
            let (stored, results) = ranked(&db, &set, group.as_deref()).await?;
            let doc =
                parindex_services::documents::ranking_report(&db, &stored, &results, &out.issue()?)
                    .await?;
            out.write(&doc)
        }
        Command::Report {
            action: ReportAction::SelfAssessment { set, unit, out },
        } => {
            let db = open_db(&cli.db).await?;
            let stored = db
                .load_set(&set)
                .await?
                .ok_or_else(|| Fail(1, format!("không tìm thấy bộ chỉ số `{set}`")))?;
            let doc = parindex_services::documents::self_assessment_report(
                &db,
                &stored,
                &unit,
                &out.issue()?,
            )
            .await?
            .ok_or_else(|| Fail(1, format!("không tìm thấy đơn vị `{unit}`")))?;
            out.write(&doc)
        }
        Command::Report {
            action:
                ReportAction::Unit {
                    unit,
                    year,
                    quarter,
                    half,
                    annual,
                    narrative,
                    out,
                },
        } => {
            use parindex_domain::period::{Period, PeriodKind};
            let kind = match (quarter, half, annual) {
                (Some(q), None, false) => PeriodKind::Quarter(q),
                (None, Some(h), false) => PeriodKind::Half(h),
                (None, None, true) => PeriodKind::Year,
                _ => {
                    return Err(Fail(
                        2,
                        "cần một trong --quarter Q, --half H, --annual".into(),
                    ));
                }
            };
            let period = Period::new(year, kind).map_err(|m| Fail(2, m))?;
            let narrative = match &narrative {
                Some(file) => parindex_documents::unit_report::parse_narrative(&read_text(file)?)
                    .map_err(|m| Fail(1, format!("{file}: {m}")))?,
                None => std::collections::HashMap::new(),
            };
            let db = open_db(&cli.db).await?;
            let doc = parindex_services::documents::unit_report(
                &db,
                &unit,
                period,
                narrative,
                &out.issue()?,
                crate::dossiers_cli::local_now(),
            )
            .await?
            .ok_or_else(|| Fail(1, format!("không tìm thấy đơn vị `{unit}`")))?;
            out.write(&doc)
        }
        Command::Backup { file } => {
            let db = open_db(&cli.db).await?;
            if Path::new(&file).exists() {
                return Err(Fail(
                    1,
                    format!("{file}: tệp đã tồn tại, hãy chọn tên khác"),
                ));
            }
            db.backup(&file).await?;
            println!("Đã sao lưu vào {file}.");
            Ok(())
        }
    }
}

fn parse_directive_file(file: &str, units: Option<&str>, format: DirectiveFormat) -> Res {
    let known: Vec<KnownUnit> = match units {
        Some(path) => parse_units_csv(path, &read_text(path)?)?
            .into_iter()
            .map(|u| KnownUnit {
                code: u.code,
                name: u.name,
            })
            .collect(),
        None => Vec::new(),
    };
    let text = directive_text(file)?;
    let d = parse_directive(&text, &known).map_err(|e| Fail(1, format!("{file}: {e}")))?;
    match format {
        DirectiveFormat::Json => {
            let s = serde_json::to_string_pretty(&d).map_err(|e| Fail(1, e.to_string()))?;
            print_out(&(s + "\n"));
        }
        DirectiveFormat::Table => {
            let mut out = format!(
                "{} {} — {}\n",
                d.doc_type.as_deref().unwrap_or("?"),
                d.symbol.as_deref().unwrap_or(""),
                d.subject.as_deref().unwrap_or("")
            );
            for it in &d.items {
                let who = if it.all {
                    "tất cả".to_string()
                } else {
                    it.assignees
                        .iter()
                        .map(|a| {
                            if a.role == "lead" {
                                a.name.clone()
                            } else {
                                format!("{} (phối hợp)", a.name)
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let _ = std::fmt::Write::write_fmt(
                    &mut out,
                    format_args!(
                        "{:<9} {} | {}\n",
                        it.reference,
                        who,
                        it.text.chars().take(90).collect::<String>()
                    ),
                );
            }
            for w in &d.warnings {
                let _ = std::fmt::Write::write_fmt(&mut out, format_args!("cảnh báo: {w}\n"));
            }
            print_out(&out);
        }
    }
    Ok(())
}

/// The text of a `.txt` or `.docx` directive.
fn directive_text(file: &str) -> Result<String, Fail> {
    if Path::new(&file.to_ascii_lowercase())
        .extension()
        .is_some_and(|e| e == "docx")
    {
        let bytes =
            std::fs::read(file).map_err(|e| Fail(1, format!("{file}: không đọc được tệp: {e}")))?;
        parindex_reports::docx::docx_text(&bytes).map_err(|e| Fail(1, format!("{file}: {e}")))
    } else {
        read_text(file)
    }
}

/// A mapping as a table, CSV or JSON.
fn mapping_text(
    from: &CriteriaSet,
    to: &CriteriaSet,
    rows: &[parindex_domain::mapping::Match],
    format: TextFormat,
) -> Result<String, Fail> {
    let name = |set: &CriteriaSet, code: Option<&str>| {
        code.and_then(|c| set.node(c))
            .map(|n| n.name.clone())
            .unwrap_or_default()
    };
    Ok(match format {
        TextFormat::Csv => parindex_domain::mapping::to_csv(from, to, rows),
        TextFormat::Json => json(
            &rows
                .iter()
                .map(|m| {
                    serde_json::json!({
                        "to_code": m.to,
                        "to_name": name(to, Some(&m.to)),
                        "from_code": m.from,
                        "from_name": m.from.as_deref().map(|c| name(from, Some(c))),
                        "how": m.how.as_str(),
                        "similarity": m.similarity,
                    })
                })
                .collect::<Vec<_>>(),
        )?,
        TextFormat::Table => {
            let mut t = Table::new("", &[]);
            for m in rows {
                t.rows.push(vec![
                    m.to.clone().into(),
                    name(to, Some(&m.to)).into(),
                    m.from.clone().unwrap_or_default().into(),
                    m.how.label_vi().to_string().into(),
                    Cell::Int(i64::from(m.similarity)),
                ]);
            }
            text_table(
                &t,
                &[
                    "Mã năm nay",
                    "Tiêu chí",
                    "Mã năm trước",
                    "Cách ghép",
                    "Giống %",
                ],
            )
        }
    })
}

fn summary(set: &CriteriaSet) -> String {
    format!(
        "{} — {} ({}): {} tiêu chí, {} tiêu chí thành phần (lá), tổng điểm tối đa {}",
        set.id,
        set.name,
        set.year,
        set.nodes.len(),
        set.leaf_count(),
        set.total_max().to_vi(set.precision)
    )
}

/// A stored set and its ranking, only `group`'s units when one is given.
async fn ranked(
    db: &Db,
    set_id: &str,
    group: Option<&str>,
) -> Result<(CriteriaSet, Vec<UnitResult>), Fail> {
    let stored = db
        .load_set(set_id)
        .await?
        .ok_or_else(|| Fail(1, format!("không tìm thấy bộ chỉ số `{set_id}`")))?;
    // The units that exist at the year's end, as on the ranking page.
    let outside = db.units_outside_year(stored.year).await?;
    let mut scores = db.load_scores(&stored).await?;
    scores.retain(|s| !outside.contains(&s.unit_code));
    let mut results = rank_units(&stored, &scores);
    if let Some(g) = group {
        results.retain(|r| r.group == g);
        if results.is_empty() {
            return Err(Fail(
                1,
                format!("bộ chỉ số `{set_id}` không có đơn vị nào trong nhóm `{g}`"),
            ));
        }
    }
    Ok((stored, results))
}

fn json(report: &impl serde::Serialize) -> Result<String, Fail> {
    serde_json::to_string_pretty(report)
        .map(|s| s + "\n")
        .map_err(|e| Fail(1, format!("không tạo được JSON: {e}")))
}

fn ranking_table(set: &CriteriaSet, results: &[UnitResult]) -> Table {
    let p = set.precision;
    // Scripts read the codes (CSV); people read the titles (XLSX), under the set's name.
    let mut t = Table::new(
        format!("Xếp hạng — {}", set.name),
        &[
            "unit_code",
            "unit_name",
            "group",
            "score",
            "index",
            "band",
            "rank",
            "of",
            "lost",
            "max",
            "bonus",
            "penalty",
        ],
    )
    .with_titles(&[
        "Mã đơn vị",
        "Tên đơn vị",
        "Nhóm",
        "Điểm",
        "Chỉ số (%)",
        "Xếp loại",
        "Hạng",
        "Trên số đơn vị",
        "Điểm bị mất",
        "Điểm tối đa của đơn vị",
        "Điểm thưởng",
        "Điểm trừ",
    ]);
    for r in results {
        t.rows.push(vec![
            r.unit_code.clone().into(),
            r.unit_name.clone().into(),
            r.group.clone().into(),
            Cell::Points(r.score, p),
            Cell::Points(r.index, p),
            r.band.clone().unwrap_or_default().into(),
            Cell::Int(i64::from(r.rank)),
            Cell::Int(i64::from(r.of)),
            Cell::Points(r.lost, p),
            Cell::Points(r.max, p),
            Cell::Points(r.bonus, p),
            Cell::Points(r.penalty, p),
        ]);
    }
    t
}

const RANKING_HEADS: &[&str] = &[
    "Mã",
    "Đơn vị",
    "Nhóm",
    "Điểm",
    "Chỉ số %",
    "Xếp loại",
    "Hạng",
    "Trên",
    "Điểm mất",
    "Tối đa",
    "Thưởng",
    "Trừ",
];

/// A plain-text table with Vietnamese numbers, columns aligned by characters.
fn text_table(t: &Table, heads: &[&str]) -> String {
    let cells: Vec<Vec<(String, bool)>> = t
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Cell::Text(s) => (s.clone(), false),
                    Cell::Int(n) => (n.to_string(), true),
                    Cell::Points(p, prec) => (p.to_vi(*prec), true),
                    Cell::Empty => (String::new(), false),
                })
                .collect()
        })
        .collect();
    let mut widths: Vec<usize> = heads.iter().map(|h| h.chars().count()).collect();
    for r in &cells {
        for (i, (s, _)) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(s.chars().count());
            }
        }
    }
    let pad = |s: &str, w: usize, right: bool| {
        let n = w.saturating_sub(s.chars().count());
        if right {
            format!("{}{s}", " ".repeat(n))
        } else {
            format!("{s}{}", " ".repeat(n))
        }
    };
    let mut out = String::new();
    let head: Vec<String> = heads
        .iter()
        .enumerate()
        .map(|(i, h)| pad(h, widths[i], false))
        .collect();
    out.push_str(head.join("  ").trim_end());
    out.push('\n');
    for r in &cells {
        let line: Vec<String> = r
            .iter()
            .enumerate()
            .map(|(i, (s, right))| pad(s, widths[i], *right))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn emit(
    set: &CriteriaSet,
    results: &[UnitResult],
    report: &RankingReport,
    format: TextFormat,
) -> Res {
    match format {
        TextFormat::Json => print_out(&json(report)?),
        TextFormat::Csv => print_out(&ranking_table(set, results).to_csv()),
        TextFormat::Table => {
            print_out(&text_table(&ranking_table(set, results), RANKING_HEADS));
            if let Some(leaves) = report.units.iter().find_map(|u| u.leaves.as_ref()) {
                let p = set.precision;
                let mut t = Table::new("", &[]);
                let number = |s: &str| parindex_domain::Points::parse(s).unwrap_or_default();
                for (l, (_, n)) in leaves.iter().zip(set.leaves()) {
                    let note = if l.not_applicable {
                        "không áp dụng"
                    } else {
                        n.kind.label_vi()
                    };
                    t.rows.push(vec![
                        l.code.clone().into(),
                        Cell::Points(n.max, p),
                        Cell::Points(number(&l.effective), p),
                        Cell::Points(number(&l.lost), p),
                        note.to_string().into(),
                    ]);
                }
                print_out("\n");
                print_out(&text_table(
                    &t,
                    &["Tiêu chí", "Tối đa", "Đạt", "Mất", "Ghi chú"],
                ));
            }
        }
    }
    Ok(())
}

struct ServeOptions {
    files: String,
    upload_limit_mb: u64,
    secure_cookies: bool,
    governing_body: String,
    place: String,
    trusted_proxies: Vec<std::net::IpAddr>,
}

async fn serve(url: &str, addr: SocketAddr, with_demo: bool, opts: ServeOptions) -> Res {
    let db = open_db(url).await?;
    if with_demo && db.count_sets().await? == 0 {
        let msg = demo::load(&db, &now()).await.map_err(|e| Fail(1, e))?;
        tracing::info!("{msg}");
    }
    let mut state = parindex_web::AppState::new(db);
    // Uploads a crash left half-written are removed before any new one starts.
    match parindex_reports::temp::sweep_upload_temp(&std::path::Path::new(&opts.files).join("tmp"))
    {
        Ok(0) => {}
        Ok(n) => tracing::info!(files = n, "đã xóa tệp tạm còn sót của lần chạy trước"),
        Err(e) => tracing::warn!(error = %e, "không dọn được thư mục tệp tạm"),
    }
    state.files = std::sync::Arc::new(parindex_services::files::FileStore::new(&opts.files));
    state.upload_limit = opts.upload_limit_mb.saturating_mul(1024 * 1024);
    state.secure_cookies = opts.secure_cookies;
    state.slip_governing_body = opts.governing_body;
    state.slip_place = opts.place;
    state.trusted_proxies = opts.trusted_proxies;
    state.demo = with_demo;
    tracing::info!(files = %opts.files, limit_mb = opts.upload_limit_mb, "tệp tài liệu kiểm chứng");
    let app = parindex_web::router(state);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Fail(1, format!("không mở được cổng {addr}: {e}")))?;
    let local = listener.local_addr().map_err(|e| Fail(1, e.to_string()))?;
    println!("parindex đang chạy: mở http://{local}/ trong trình duyệt (Ctrl+C để dừng).");
    parindex_web::core::server::serve(listener, app, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(|e| Fail(1, format!("máy chủ dừng do lỗi: {e}")))
}
