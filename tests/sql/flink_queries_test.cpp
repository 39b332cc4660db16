// Queries from Flink's documentation ("Queries" pages), one construct each: they parse, round-trip
// (print, parse again, same tree), and the tree has the expected shape.
#include <catch2/catch.hpp>

#include "sql/sql_test_support.hpp"

using namespace eddy::sql;
using namespace eddy::sql::testing;

namespace {

const select_core& select_of(const statement& s) {
  const auto* q = s.as<query>();
  REQUIRE(q != nullptr);
  const auto* sel = std::get_if<select_core>(&q->body.node);
  REQUIRE(sel != nullptr);
  return *sel;
}

}  // namespace

TEST_CASE("flink docs: window TVFs TUMBLE, HOP, CUMULATE and SESSION, positional and named") {
  parse_and_round_trip(R"(
    SELECT window_start, window_end, SUM(price) AS total_price
    FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
    GROUP BY window_start, window_end;
    SELECT * FROM TABLE(
      TUMBLE(DATA => TABLE Bid, TIMECOL => DESCRIPTOR(bidtime), SIZE => INTERVAL '10' MINUTES));
    SELECT window_start, window_end, SUM(price) AS total_price
    FROM TABLE(HOP(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES, INTERVAL '10' MINUTES))
    GROUP BY window_start, window_end;
    SELECT window_start, window_end, SUM(price) AS total_price
    FROM TABLE(CUMULATE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '2' MINUTES, INTERVAL '10' MINUTES))
    GROUP BY window_start, window_end;
    SELECT window_start, window_end, item, SUM(price) AS total_price
    FROM TABLE(SESSION(TABLE Bid PARTITION BY item, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES))
    GROUP BY item, window_start, window_end;
  )");
  const auto s = parse_one(
      "SELECT * FROM TABLE(TUMBLE(DATA => TABLE Bid, TIMECOL => DESCRIPTOR(bidtime), "
      "SIZE => INTERVAL '10' MINUTES))");
  const auto& tf = std::get<table_function>(select_of(s).from[0].relation.node);
  const auto& call = *tf.call.as<function_call>();
  REQUIRE(call.args.size() == 3);
  CHECK(call.args[0].name->value == "DATA");
  CHECK(call.args[1].name->value == "TIMECOL");
  CHECK(call.args[2].value->as<interval_literal>()->unit == "MINUTE");  // MINUTES read as MINUTE
  const auto session = parse_one(
      "SELECT * FROM TABLE(SESSION(TABLE Bid PARTITION BY (item, supplier), DESCRIPTOR(bidtime), "
      "INTERVAL '5' MINUTES))");
  const auto& scall =
      *std::get<table_function>(select_of(session).from[0].relation.node).call.as<function_call>();
  REQUIRE(scall.args.size() == 3);
  CHECK(scall.args[0].value->as<table_arg>()->partition_by.size() == 2);
  check_round_trip({session});
}

TEST_CASE("flink docs: group aggregation, HAVING, DISTINCT, GROUP BY legacy windows") {
  parse_and_round_trip(R"(
    SELECT COUNT(*) FROM Orders;
    SELECT COUNT(*) FROM Orders GROUP BY order_id;
    SELECT DISTINCT id FROM Orders;
    SELECT SUM(amount) FROM Orders GROUP BY users HAVING SUM(amount) > 50;
    SELECT user, TUMBLE_START(order_time, INTERVAL '1' DAY) AS wStart, SUM(amount)
    FROM Orders GROUP BY TUMBLE(order_time, INTERVAL '1' DAY), user;
    SELECT user, HOP_END(rowtime, INTERVAL '1' HOUR, INTERVAL '1' DAY) AS wEnd,
           HOP_ROWTIME(rowtime, INTERVAL '1' HOUR, INTERVAL '1' DAY) AS rt, SUM(amount)
    FROM Orders GROUP BY HOP(rowtime, INTERVAL '1' HOUR, INTERVAL '1' DAY), user;
    SELECT user, SESSION_START(proctime, INTERVAL '12' HOUR) AS sStart,
           SESSION_PROCTIME(proctime, INTERVAL '12' HOUR) AS pt
    FROM Orders GROUP BY SESSION(proctime, INTERVAL '12' HOUR), user;
    SELECT supplier_id, rating, COUNT(*) AS total FROM Products
    GROUP BY CUBE (supplier_id, rating);
    SELECT supplier_id, rating, COUNT(*) AS total
    FROM (VALUES
        ('supplier1', 'product1', 4),
        ('supplier2', 'product3', 3))
    AS Products(supplier_id, product_id, rating)
    GROUP BY GROUPING SETS ((supplier_id, rating), (supplier_id), ());
    SELECT a, COUNT(*) FROM t GROUP BY GROUPING SETS (a, (b, c)), d;
  )");
  const auto sets = parse_one("SELECT a FROM t GROUP BY GROUPING SETS ((a, b), a, ())");
  const auto& g = std::get<select_core>(sets.as<query>()->body.node).group_by.at(0);
  REQUIRE(g.as<grouping_sets>() != nullptr);
  CHECK(g.as<grouping_sets>()->sets.size() == 3);
  CHECK(g.as<grouping_sets>()->sets[1].size() == 1);
  CHECK(g.as<grouping_sets>()->sets[2].empty());
  // ROLLUP and CUBE become their grouping sets (Calcite's order), also inside GROUPING SETS.
  const auto sets_of = [](const std::string& sql) {
    const auto q = parse_one(sql);
    const auto& e = std::get<select_core>(q.as<query>()->body.node).group_by.at(0);
    REQUIRE(e.as<grouping_sets>() != nullptr);
    std::vector<std::string> out;
    for (const auto& set : e.as<grouping_sets>()->sets) {
      std::string t;
      for (const auto& x : set) t += (t.empty() ? "" : " ") + to_sql(x);
      out.push_back("(" + t + ")");
    }
    return out;
  };
  CHECK(sets_of("SELECT 1 FROM t GROUP BY ROLLUP (a, (b, c))") ==
        std::vector<std::string>{"(a b c)", "(a)", "()"});
  CHECK(sets_of("SELECT 1 FROM t GROUP BY CUBE (a, b)") ==
        std::vector<std::string>{"(a b)", "(a)", "(b)", "()"});
  CHECK(sets_of("SELECT 1 FROM t GROUP BY GROUPING SETS (ROLLUP (a), (b), ())") ==
        std::vector<std::string>{"(a)", "()", "(b)", "()"});
  parse_and_round_trip("SELECT a, GROUPING(a), GROUPING_ID(a, b) FROM t GROUP BY CUBE (a, b)");
}

TEST_CASE("flink docs: OVER aggregations with a named WINDOW, ROWS and RANGE frames") {
  const auto s = parse_and_round_trip(R"(
    SELECT order_id, order_time, amount,
      SUM(amount) OVER (
        PARTITION BY product
        ORDER BY order_time
        RANGE BETWEEN INTERVAL '1' HOUR PRECEDING AND CURRENT ROW
      ) AS one_hour_prod_amount_sum
    FROM Orders;
    SELECT order_id, order_time, amount,
      SUM(amount) OVER w AS sum_amount,
      AVG(amount) OVER w AS avg_amount
    FROM Orders
    WINDOW w AS (
      PARTITION BY product
      ORDER BY order_time
      ROWS BETWEEN 5 PRECEDING AND CURRENT ROW);
    SELECT COUNT(amount) OVER (PARTITION BY user ORDER BY proctime
      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM Orders;
  )");
  const auto& sel = select_of(s[0]);
  const auto& over = sel.items[3].value->as<function_call>()->over->spec;
  REQUIRE(over->frame);
  CHECK(over->frame->units == frame_units::range);
  CHECK(over->frame->start.kind == bound_kind::preceding);
  CHECK(over->frame->end->kind == bound_kind::current_row);
  const auto& named = select_of(s[1]);
  CHECK(named.windows.size() == 1);
  CHECK(named.items[3].value->as<function_call>()->over->window_name->value == "w");
}

TEST_CASE("flink docs: Top-N and deduplication with ROW_NUMBER") {
  parse_and_round_trip(R"(
    SELECT product_id, category, product_name, sales
    FROM (
      SELECT *,
        ROW_NUMBER() OVER (PARTITION BY category ORDER BY sales DESC) AS row_num
      FROM ShopSales)
    WHERE row_num <= 5;
    SELECT order_id, user, product, num
    FROM (
      SELECT *,
        ROW_NUMBER() OVER (PARTITION BY order_id ORDER BY proctime ASC) AS row_num
      FROM Orders)
    WHERE row_num = 1;
    SELECT *
      FROM (
        SELECT bidtime, price, item, supplier_id, window_start, window_end,
          ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY price DESC) as rownum
        FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
      ) WHERE rownum <= 3;
  )");
}

TEST_CASE("flink docs: joins: regular, outer, interval, temporal, lookup, lateral, unnest") {
  const auto s = parse_and_round_trip(R"(
    SELECT * FROM Orders INNER JOIN Product ON Orders.productId = Product.id;
    SELECT * FROM Orders LEFT JOIN Product ON Orders.product_id = Product.id;
    SELECT * FROM Orders RIGHT OUTER JOIN Product ON Orders.product_id = Product.id;
    SELECT * FROM Orders FULL OUTER JOIN Product ON Orders.product_id = Product.id;
    SELECT * FROM Orders o, Shipments s WHERE o.id = s.order_id
      AND o.order_time BETWEEN s.ship_time - INTERVAL '4' HOUR AND s.ship_time;
    SELECT order_id, price, orders.currency, conversion_rate, order_time
    FROM orders
    LEFT JOIN currency_rates FOR SYSTEM_TIME AS OF orders.order_time
    ON orders.currency = currency_rates.currency;
    SELECT o.order_id, o.total, c.country, c.zip
    FROM Orders AS o
      JOIN Customers FOR SYSTEM_TIME AS OF o.proc_time AS c
        ON o.customer_id = c.id;
    SELECT order_id, tag FROM Orders CROSS JOIN UNNEST(tags) AS t (tag);
    SELECT order_id, res FROM Orders, LATERAL TABLE(table_func(order_id)) t(res);
    SELECT order_id, res FROM Orders
      LEFT OUTER JOIN LATERAL TABLE(table_func(order_id)) t(res) ON TRUE;
    SELECT * FROM a JOIN b USING (id);
    SELECT * FROM (a JOIN b ON a.id = b.id) LEFT JOIN c ON c.id = a.id;
  )");
  const auto& temporal = select_of(s[5]).from[0].joins[0];
  CHECK(temporal.kind == join_kind::left);
  CHECK(std::get<named_table>(temporal.relation.node).system_time);
  const auto& unnest_join = select_of(s[7]).from[0].joins[0];
  CHECK(unnest_join.kind == join_kind::cross);
  CHECK(std::get_if<unnest>(&unnest_join.relation.node) != nullptr);
  CHECK(unnest_join.relation.alias->columns.size() == 1);
  const auto& lateral = select_of(s[8]).from.at(1).relation;
  CHECK(std::get<table_function>(lateral.node).lateral);
  CHECK(lateral.alias->name.value == "t");
}

TEST_CASE("flink docs: WITH, set operations, ORDER BY, LIMIT, VALUES, IN and EXISTS subqueries") {
  const auto s = parse_and_round_trip(R"(
    WITH orders_with_total AS (
        SELECT order_id, price + tax AS total
        FROM Orders
    )
    SELECT order_id, SUM(total)
    FROM orders_with_total
    GROUP BY order_id;
    (SELECT s FROM t1) UNION (SELECT s FROM t2);
    (SELECT s FROM t1) UNION ALL (SELECT s FROM t2);
    (SELECT s FROM t1) INTERSECT (SELECT s FROM t2);
    (SELECT s FROM t1) EXCEPT ALL (SELECT s FROM t2);
    SELECT a FROM t1 UNION SELECT a FROM t2 INTERSECT SELECT a FROM t3;
    SELECT * FROM Orders ORDER BY order_time, order_id DESC NULLS LAST LIMIT 3;
    SELECT user, amount FROM Orders WHERE product IN (SELECT product FROM NewProducts);
    SELECT user, amount FROM Orders WHERE EXISTS (SELECT product FROM NewProducts);
    SELECT * FROM (VALUES (1, 2), (3, 4)) AS t (a, b);
    SELECT (SELECT MAX(x) FROM t2) AS m, t.*, db.t.* FROM t;
    SELECT * FROM t OFFSET 5 ROWS FETCH FIRST 10 ROWS ONLY;
  )");
  // INTERSECT binds tighter than UNION.
  const auto& body = s[5].as<query>()->body;
  const auto& op = std::get<set_operation>(body.node);
  CHECK(op.op == set_operator::union_);
  CHECK(std::get<set_operation>(op.right->node).op == set_operator::intersect);
  const auto& wild = select_of(s[10]).items;
  CHECK(wild[1].what == select_item::kind::qualified_wildcard);
  CHECK(wild[2].qualifier.size() == 2);
}

TEST_CASE("flink docs: INSERT, EXECUTE STATEMENT SET, EXPLAIN") {
  const auto s = parse_and_round_trip(R"(
    INSERT INTO country_page_view
    SELECT user, cnt FROM page_view_source;
    INSERT INTO t (a, b) SELECT x, y FROM s;
    INSERT OVERWRITE t SELECT * FROM s;
    INSERT INTO t VALUES (1, 'a'), (2, 'b');
    EXECUTE STATEMENT SET
    BEGIN
      INSERT INTO RubberOrders SELECT product, amount FROM Orders WHERE product LIKE '%Rubber%';
      INSERT INTO GlassOrders SELECT product, amount FROM Orders WHERE product LIKE '%Glass%';
    END;
    EXPLAIN PLAN FOR SELECT `count`, COUNT(word) FROM MyTable1 WHERE word LIKE 'F%' GROUP BY `count`;
    EXPLAIN ESTIMATED_COST, CHANGELOG_MODE, JSON_EXECUTION_PLAN SELECT * FROM t;
    EXPLAIN EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT * FROM b; END;
    BEGIN STATEMENT SET;
    INSERT INTO a SELECT * FROM b;
    INSERT INTO c SELECT * FROM d;
    END;
  )");
  CHECK(s[8] == parse_one("EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT * FROM b; "
                          "INSERT INTO c SELECT * FROM d; END"));
  CHECK(s[1].as<insert>()->columns.size() == 2);
  CHECK(s[2].as<insert>()->overwrite);
  CHECK(s[4].as<statement_set>()->inserts.size() == 2);
  CHECK(s[6].as<explain>()->details.size() == 3);
}
