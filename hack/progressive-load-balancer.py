"""Creates what examples/progressive/ names in the emulator (moto): a VPC with two
subnets and a security group, the Application Load Balancer `shop` with a production
listener (80) and a test listener (8080), one rule per Service on each forwarding 100/0
to the Service's blue and green IP target groups, and the CloudWatch alarm
`search-5xx`. Idempotent: what exists is found by name and kept. Prints one line per
placeholder of the example: `placeholder real-value`, for sed.

Run with the test environment's python (boto3) and its AWS variables:
    . .testenv/env && "$TESTENV_PYTHON" hack/progressive-load-balancer.py
"""

import boto3

TAG = "ecs-operator-progressive"
ACCOUNT = "arn:aws:elasticloadbalancing:us-east-1:123456789012"
# Service -> (rule priority, blue placeholder id, green placeholder id)
SERVICES = {"checkout": (10, "0000000000000001", "0000000000000002"),
            "search": (20, "0000000000000003", "0000000000000004")}

ec2 = boto3.client("ec2")
elb = boto3.client("elbv2")
cloudwatch = boto3.client("cloudwatch")


def tagged(kind):
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": TAG}]}]


def network():
    found = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": [TAG]}])["Subnets"]
    if found:
        vpc = found[0]["VpcId"]
        subnets = sorted(s["SubnetId"] for s in found)
        group = ec2.describe_security_groups(Filters=[{"Name": "tag:Name", "Values": [TAG]}])["SecurityGroups"][0]["GroupId"]
        return vpc, subnets, group
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16", TagSpecifications=tagged("vpc"))["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24", AvailabilityZone=zone,
                                 TagSpecifications=tagged("subnet"))["Subnet"]["SubnetId"]
               for i, zone in ((1, "us-east-1a"), (2, "us-east-1b"))]
    group = ec2.create_security_group(GroupName=TAG, Description="examples/progressive", VpcId=vpc,
                                      TagSpecifications=tagged("security-group"))["GroupId"]
    return vpc, sorted(subnets), group


def load_balancer(subnets):
    try:
        return elb.describe_load_balancers(Names=["shop"])["LoadBalancers"][0]["LoadBalancerArn"]
    except elb.exceptions.LoadBalancerNotFoundException:
        return elb.create_load_balancer(Name="shop", Subnets=subnets, Type="application")["LoadBalancers"][0]["LoadBalancerArn"]


def target_group(name, vpc):
    try:
        return elb.describe_target_groups(Names=[name])["TargetGroups"][0]["TargetGroupArn"]
    except elb.exceptions.TargetGroupNotFoundException:
        return elb.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc,
                                       TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]


def listener(alb, port):
    for found in elb.describe_listeners(LoadBalancerArn=alb)["Listeners"]:
        if found["Port"] == port:
            return found["ListenerArn"]
    return elb.create_listener(LoadBalancerArn=alb, Protocol="HTTP", Port=port,
                               DefaultActions=[{"Type": "fixed-response",
                                                "FixedResponseConfig": {"StatusCode": "404"}}]
                               )["Listeners"][0]["ListenerArn"]


def rule(listener_arn, priority, path, blue, green):
    for found in elb.describe_rules(ListenerArn=listener_arn)["Rules"]:
        if found["Priority"] == str(priority):
            return found["RuleArn"]
    forward = {"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": blue, "Weight": 100}, {"TargetGroupArn": green, "Weight": 0}]}}
    return elb.create_rule(ListenerArn=listener_arn, Priority=priority,
                           Conditions=[{"Field": "path-pattern", "Values": [path]}],
                           Actions=[forward])["Rules"][0]["RuleArn"]


def main():
    vpc, subnets, group = network()
    print("subnet-0123456789abcdef0", subnets[0])
    print("sg-0123456789abcdef0", group)
    alb = load_balancer(subnets)
    for service, (priority, blue_id, green_id) in SERVICES.items():
        blue = target_group(f"{service}-blue", vpc)
        green = target_group(f"{service}-green", vpc)
        print(f"{ACCOUNT}:targetgroup/{service}-blue/{blue_id}", blue)
        print(f"{ACCOUNT}:targetgroup/{service}-green/{green_id}", green)
        for port in (80, 8080):
            arn = rule(listener(alb, port), priority, f"/{service}/*", blue, green)
            placeholder = f"{ACCOUNT}:listener-rule/app/shop/0000000000000000/{port:016d}/{priority:016d}"
            print(placeholder, arn)
    cloudwatch.put_metric_alarm(
        AlarmName="search-5xx", Namespace="AWS/ApplicationELB", MetricName="HTTPCode_Target_5XX_Count",
        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=10, ComparisonOperator="GreaterThanThreshold")


main()
