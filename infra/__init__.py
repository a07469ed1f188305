"""Infrastructure: the CloudFormation template and the local stack built from it."""
